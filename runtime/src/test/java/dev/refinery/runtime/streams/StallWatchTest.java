package dev.refinery.runtime.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
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

  @Test
  void theLagOfSomeTopicsIsTheirPartitionsRecordsLag() {
    Map<MetricName, Metric> metrics = new HashMap<>();
    lag(metrics, "corpus.raw.v1", 0, 3);
    lag(metrics, "corpus.raw.v1", 1, 4);
    lag(metrics, "app-dedup-by-key-repartition", 0, 20);
    // a consumer's own maximum, and a partition not yet measured (NaN), count nowhere
    put(metrics, "records-lag-max", java.util.Map.of("client-id", "c"), 99);
    lag(metrics, "corpus.raw.v1", 2, Double.NaN);
    Predicate<String> internal = t -> t.startsWith("app-");
    assertThat(StallWatch.lag(metrics)).isEqualTo(27);
    assertThat(StallWatch.lag(metrics, internal.negate())).isEqualTo(7);
    assertThat(StallWatch.lag(metrics, internal)).isEqualTo(20);
  }

  private static void lag(
      Map<MetricName, Metric> metrics, String topic, int partition, double value) {
    put(
        metrics,
        "records-lag",
        java.util.Map.of("client-id", "c", "topic", topic, "partition", String.valueOf(partition)),
        value);
  }

  private static void put(
      Map<MetricName, Metric> metrics, String name, Map<String, String> tags, double value) {
    MetricName metric = new MetricName(name, "consumer-fetch-manager-metrics", "", tags);
    metrics.put(
        metric,
        new Metric() {
          @Override
          public MetricName metricName() {
            return metric;
          }

          @Override
          public Object metricValue() {
            return value;
          }
        });
  }
}
