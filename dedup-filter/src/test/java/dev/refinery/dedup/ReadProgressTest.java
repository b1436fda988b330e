package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When every partition of corpus.raw.v1 counts as read past a document. */
class ReadProgressTest {
  static final long HOLD = 1_000;

  /** The task's clock when the tests start: record times are before it. */
  static final long NOW = 1_000_000;

  /** A backlog: its documents were written a minute before they are read. */
  static final long WRITTEN = NOW - 60_000;

  @Test
  void underABacklogAPartitionReadBehindHoldsTheAnswerUntilItIsReadPastTheTimeAndTheHold() {
    ReadProgress progress = new ReadProgress(HOLD, 4);
    // partitions 0, 1 and 3 are read 20 s ahead of partition 2
    for (long t = 0; t <= 3_000; t += 100) {
      progress.heard(0, WRITTEN + 25_000 + t, NOW + t);
      progress.heard(1, WRITTEN + 25_000 + t, NOW + t);
      progress.heard(2, WRITTEN + 5_000 + t, NOW + t);
      progress.heard(3, WRITTEN + 25_000 + t, NOW + t);
    }
    assertThat(progress.readPast(WRITTEN + 10_000)).isFalse();
    assertThat(progress.readPast(WRITTEN + 7_000)).as("all read past 8 s").isTrue();
    // partition 2 goes unheard for 5 s while the others are read: it is behind, not done
    for (long t = 3_100; t <= 8_000; t += 100) {
      progress.heard(0, WRITTEN + 25_000 + t, NOW + t);
    }
    assertThat(progress.readPast(WRITTEN + 10_000)).isFalse();
    // then catches up to 11 s
    progress.heard(2, WRITTEN + 11_000, NOW + 8_100);
    assertThat(progress.readPast(WRITTEN + 10_000)).isTrue();
    // the backlog is read: each partition is marked read to its end when the stage found it so
    assertThat(progress.readPast(WRITTEN + 60_000)).isFalse();
    for (int p = 0; p < 3; p++) {
      progress.heard(p, NOW + 8_600, NOW + 9_000);
    }
    assertThat(progress.readPast(WRITTEN + 60_000)).as("3 not yet marked").isFalse();
    progress.heard(3, NOW + 8_600, NOW + 9_100);
    assertThat(progress.readPast(WRITTEN + 60_000)).isTrue();
    assertThat(progress.readPast(NOW + 7_700))
        .as("written after the marks less the hold: a copy may still come")
        .isFalse();
  }

  /**
   * The hole of a rule that took a partition unheard for a hold as done while the newest record
   * time was within 10 s of the clock: a backlog written seconds before it is read looks like that.
   */
  @Test
  void aBacklogWrittenSecondsAgoIsNotTakenForReadingAsDocumentsAreWritten() {
    // ingest wrote a burst over 2 s just before the task started reading it
    ReadProgress progress = new ReadProgress(HOLD, 2);
    for (long t = 0; t <= 3_000; t += 100) {
      progress.heard(0, NOW + Math.min(2_000, t), NOW + 2_000 + t);
    }
    // partition 1 is read behind: 300 ms of its record time, then unheard while 0 is read
    progress.heard(1, NOW + 300, NOW + 2_000);
    // 3.2 s unheard, yet it still holds documents written up to 2 s: one of 0 written at 400 ms
    // waits for it
    assertThat(progress.readPast(NOW + 400)).isFalse();
    progress.heard(1, NOW + 1_500, NOW + 5_300);
    assertThat(progress.readPast(NOW + 400)).isTrue();
    assertThat(progress.readPast(NOW + 600)).isFalse();
  }

  @Test
  void readingAsDocumentsAreWrittenAnIdlePartitionHoldsNothingOnceMarkedRead() {
    ReadProgress progress = new ReadProgress(HOLD, 4);
    // documents come to 0 and 1 as they are written; 2 and 3 have had none for long
    for (long t = 0; t <= 1_500; t += 100) {
      progress.heard(0, NOW + t, NOW + t + 50);
      progress.heard(1, NOW + t, NOW + t + 50);
    }
    assertThat(progress.readPast(NOW)).as("2 and 3 never heard of").isFalse();
    // the stage finds 2 and 3 read to their ends, four times a second
    for (long t = 250; t <= 1_250; t += 250) {
      progress.heard(2, NOW + t, NOW + t + 300);
      progress.heard(3, NOW + t, NOW + t + 300);
    }
    assertThat(progress.readPast(NOW + 200)).isTrue();
    assertThat(progress.readPast(NOW + 300)).as("marked read to 1.25 s only").isFalse();
  }

  @Test
  void aTaskThatHasHeardNothingWaitsForEveryPartition() {
    ReadProgress progress = new ReadProgress(HOLD, 2);
    assertThat(progress.readPast(WRITTEN)).isFalse();
    // one partition heard, reading a backlog: the other may not have been read yet
    for (long t = 0; t <= 5_000; t += 500) {
      progress.heard(0, WRITTEN + 30_000 + t, NOW + t);
    }
    assertThat(progress.readPast(WRITTEN)).isFalse();
    progress.heard(1, WRITTEN + 1_000, NOW + 5_100);
    assertThat(progress.readPast(WRITTEN)).isTrue();
  }

  @Test
  void aPartitionBeyondThoseTheTopologyKnewIsTrackedWhenHeardFrom() {
    ReadProgress progress = new ReadProgress(HOLD, 1);
    progress.heard(0, NOW + 1_000, NOW + 2_000);
    progress.heard(5, NOW, NOW + 2_000);
    assertThat(progress.readPast(NOW)).isFalse();
    progress.heard(5, NOW + 1_000, NOW + 2_600);
    assertThat(progress.readPast(NOW)).as("1 to 4 are now known to exist").isFalse();
    for (int p = 1; p <= 4; p++) {
      assertThat(progress.heard(p, NOW + 1_000, NOW + 2_600)).isTrue();
    }
    assertThat(progress.readPast(NOW)).isTrue();
    assertThat(progress.heard(3, NOW + 900, NOW + 2_700)).as("not further").isFalse();
  }

  @Test
  void aTimeAheadOfTheClockCountsAsTheClock() {
    ReadProgress progress = new ReadProgress(HOLD, 1);
    progress.heard(0, Long.MAX_VALUE, NOW);
    assertThat(progress.readPast(NOW - 500)).isFalse();
    assertThat(progress.readPast(NOW - 1_000)).isTrue();
    assertThat(progress.readPast(Long.MAX_VALUE)).as("no overflow").isFalse();
  }

  @Test
  void instancesOfAnotherFormCountForNoPartition() {
    assertThat(ReadProgress.partitionOf("3:1200")).isEqualTo(3);
    assertThat(ReadProgress.partitionOf("0:0")).isZero();
    for (String garbage :
        new String[] {"", ":", "3", "-1:5", "x:1", "3:", "99999999999:1", "1e3:1", "00:1"}) {
      assertThat(ReadProgress.partitionOf(garbage)).as(garbage).isEqualTo(-1);
    }
    ReadProgress progress = new ReadProgress(HOLD, 1);
    progress.heard(0, WRITTEN + HOLD, NOW);
    progress.heard(-1, WRITTEN - 5_000, NOW);
    progress.heard(Integer.MAX_VALUE, WRITTEN - 5_000, NOW);
    assertThat(progress.readPast(WRITTEN)).as("neither is tracked").isTrue();
  }
}
