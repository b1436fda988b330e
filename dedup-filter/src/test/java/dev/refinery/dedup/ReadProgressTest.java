package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When every partition of corpus.raw.v1 counts as read past a document, over four partitions. */
class ReadProgressTest {
  static final long HOLD = 1_000;

  /** The task's clock when the tests start: record times are before it. */
  static final long NOW = 1_000_000;

  /** A backlog: its documents were written a minute before they are read. */
  static final long WRITTEN = NOW - 60_000;

  @Test
  void underABacklogAPartitionReadBehindHoldsTheAnswerUntilItIsReadPastTheTimeAndTheHold() {
    ReadProgress progress = new ReadProgress(HOLD, 4, NOW);
    // partitions 0, 1 and 3 are read 20 s ahead of partition 2
    for (long t = 0; t <= 3_000; t += 100) {
      progress.heard(0, WRITTEN + 25_000 + t, NOW + t);
      progress.heard(1, WRITTEN + 25_000 + t, NOW + t);
      progress.heard(2, WRITTEN + 5_000 + t, NOW + t);
      progress.heard(3, WRITTEN + 25_000 + t, NOW + t);
    }
    assertThat(progress.readPast(WRITTEN + 10_000, NOW + 3_000, false)).isFalse();
    assertThat(progress.readPast(WRITTEN + 7_000, NOW + 3_000, false))
        .as("all read past 8 s")
        .isTrue();
    // partition 2 goes unheard for 5 s while the others are read: it is behind, not done
    for (long t = 3_100; t <= 8_000; t += 100) {
      progress.heard(0, WRITTEN + 25_000 + t, NOW + t);
    }
    assertThat(progress.readPast(WRITTEN + 10_000, NOW + 8_000, false)).isFalse();
    // then catches up to 11 s
    progress.heard(2, WRITTEN + 11_000, NOW + 8_100);
    assertThat(progress.readPast(WRITTEN + 10_000, NOW + 8_100, false)).isTrue();
    // the backlog is read: partitions unheard from for a hold have nothing more to read
    assertThat(progress.readPast(WRITTEN + 60_000, NOW + 9_100, false)).isFalse();
    assertThat(progress.readPast(WRITTEN + 60_000, NOW + 9_100, true)).isTrue();
    assertThat(progress.readPast(WRITTEN + 60_000, NOW + 8_500, true))
        .as("heard from 400 ms ago")
        .isFalse();
  }

  @Test
  void readingAsDocumentsAreWrittenAPartitionUnheardForAHoldHoldsNothing() {
    ReadProgress progress = new ReadProgress(HOLD, 4, NOW);
    for (int p = 0; p < 3; p++) {
      progress.heard(p, NOW - 200, NOW);
    }
    progress.heard(3, NOW + 300, NOW + 500);
    // partitions 0 to 2 were heard from 500 ms ago: they may still have documents to read
    assertThat(progress.readPast(NOW - 200, NOW + 500, false)).isFalse();
    // a hold since: they have none, and 3 is read past the time and the hold... not yet
    assertThat(progress.readPast(NOW - 200, NOW + 1_000, false)).isFalse();
    progress.heard(3, NOW + 900, NOW + 1_100);
    assertThat(progress.readPast(NOW - 200, NOW + 1_100, false)).isTrue();
    // a time 3 is not read past waits on it until it is quiet too
    assertThat(progress.readPast(NOW + 500, NOW + 1_100, false)).isFalse();
    assertThat(progress.readPast(NOW + 500, NOW + 2_100, false)).isTrue();
  }

  @Test
  void aTaskThatHasHeardNothingWaitsForTheStageToHaveReadItsInput() {
    ReadProgress progress = new ReadProgress(HOLD, 2, NOW);
    assertThat(progress.readPast(WRITTEN, NOW + 5_000, false)).isFalse();
    assertThat(progress.readPast(WRITTEN, NOW + 999, true)).isFalse();
    assertThat(progress.readPast(WRITTEN, NOW + 1_000, true)).isTrue();
    // one partition heard, reading a backlog: the other may not have been read yet
    ReadProgress started = new ReadProgress(HOLD, 2, NOW);
    for (long t = 0; t <= 5_000; t += 500) {
      started.heard(0, WRITTEN + 30_000 + t, NOW + t);
    }
    assertThat(started.readPast(WRITTEN, NOW + 5_000, false)).isFalse();
  }

  @Test
  void aPartitionBeyondThoseTheTopologyKnewIsTrackedWhenHeardFrom() {
    ReadProgress progress = new ReadProgress(HOLD, 1, NOW);
    progress.heard(5, NOW, NOW + 2_000);
    assertThat(progress.readPast(NOW, NOW + 2_500, false)).isFalse();
    progress.heard(5, NOW + 1_000, NOW + 2_600);
    progress.heard(0, NOW + 1_000, NOW + 2_600);
    assertThat(progress.readPast(NOW, NOW + 2_600, false)).isTrue();
  }

  @Test
  void aRecordTimeAheadOfTheClockCountsAsTheClock() {
    ReadProgress progress = new ReadProgress(HOLD, 1, NOW);
    progress.heard(0, Long.MAX_VALUE, NOW);
    assertThat(progress.readPast(NOW, NOW + 500, false)).isFalse();
    assertThat(progress.readPast(NOW - 1_000, NOW + 500, false)).isTrue();
    assertThat(progress.readPast(Long.MAX_VALUE, NOW + 1_000, false)).as("no overflow").isTrue();
  }

  @Test
  void instancesOfAnotherFormCountForNoPartition() {
    assertThat(ReadProgress.partitionOf("3:1200")).isEqualTo(3);
    assertThat(ReadProgress.partitionOf("0:0")).isZero();
    for (String garbage :
        new String[] {"", ":", "3", "-1:5", "x:1", "3:", "99999999999:1", "1e3:1", "00:1"}) {
      assertThat(ReadProgress.partitionOf(garbage)).as(garbage).isEqualTo(-1);
    }
    ReadProgress progress = new ReadProgress(HOLD, 1, NOW);
    progress.heard(-1, WRITTEN, NOW);
    progress.heard(Integer.MAX_VALUE, WRITTEN, NOW);
    assertThat(progress.readPast(WRITTEN, NOW + 1_000, true)).as("neither is tracked").isTrue();
  }
}
