package dev.refinery.runtime.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class StallWatchTest {
  private static final long S = 1_000_000_000L;

  @Test
  void stalledOnlyWithInputWaitingAndNothingProcessedForTheTimeout() {
    StallWatch watch = new StallWatch(Duration.ofSeconds(60), 0);
    assertThat(watch.observe(100, 50, 10 * S).stalled()).isFalse();
    assertThat(watch.observe(100, 50, 69 * S).stalled()).as("59 s idle").isFalse();
    StallWatch.Verdict stalled = watch.observe(100, 50, 70 * S);
    assertThat(stalled.stalled()).isTrue();
    assertThat(stalled.idle()).isEqualTo(Duration.ofSeconds(60));
    // progress clears it
    assertThat(watch.observe(101, 50, 71 * S).stalled()).isFalse();
  }

  @Test
  void anIdleStageWithNothingToDoIsNotStalled() {
    StallWatch watch = new StallWatch(Duration.ofSeconds(60), 0);
    assertThat(watch.observe(5, 0, 1000 * S).stalled()).isFalse();
    // input arrives: the clock starts then, not at the last record processed
    assertThat(watch.observe(5, 10, 1001 * S).stalled()).isFalse();
    assertThat(watch.observe(5, 10, 1061 * S).stalled()).isTrue();
  }

  @Test
  void aZeroTimeoutNeverStalls() {
    StallWatch watch = new StallWatch(Duration.ZERO, 0);
    assertThat(watch.observe(1, 10, 1_000_000 * S).stalled()).isFalse();
  }
}
