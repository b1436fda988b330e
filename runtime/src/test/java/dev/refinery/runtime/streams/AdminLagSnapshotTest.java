package dev.refinery.runtime.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** What a snapshot of a group's offsets and its topics' ends says. */
class AdminLagSnapshotTest {
  static final TopicPartition RAW_0 = new TopicPartition("corpus.raw.v1", 0);
  static final TopicPartition RAW_1 = new TopicPartition("corpus.raw.v1", 1);
  static final long AT = 1_000_000;

  @Test
  void aPartitionIsReadToItsEndWhereItsReaderIsAtItOrOnlyItsLastMarkerIsLeft() {
    // raw-0: 10 records written in transactions, the last marker at 10; raw-1: 4 records waiting
    var s =
        new AdminLag.Snapshot(
            AT,
            Map.of(RAW_0, 9L, RAW_1, 5L),
            Map.of(RAW_0, 11L, RAW_1, 9L),
            Map.of(RAW_0, 11L, RAW_1, 9L));
    assertThat(s.lag()).isEqualTo(1 + 3);
    assertThat(s.readAt(RAW_0, 10)).as("the marker left").isEqualTo(AT);
    assertThat(s.readAt(RAW_0, 11)).isEqualTo(AT);
    assertThat(s.readAt(RAW_0, 9)).as("a record left").isEqualTo(Long.MIN_VALUE);
    assertThat(s.readAt(RAW_0, -1))
        .as("a reader that has read nothing since it started: the group's offset")
        .isEqualTo(Long.MIN_VALUE);
    assertThat(s.readAt(RAW_1, 8)).as("read further than the group committed").isEqualTo(AT);
    assertThat(s.readAt(RAW_1, 5)).isEqualTo(Long.MIN_VALUE);
    assertThat(s.readAt(new TopicPartition("corpus.raw.v1", 2), 100))
        .as("a partition the snapshot does not know")
        .isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void theLagOfSomeTopicsCountsTheirPartitionsAlone() {
    // raw read to its end; 20 records between the stage's steps (read marks, say)
    TopicPartition byKey = new TopicPartition("refinery-dedup-filter-dedup-by-key-repartition", 0);
    var s =
        new AdminLag.Snapshot(
            AT,
            Map.of(RAW_0, 10L, byKey, 100L),
            Map.of(RAW_0, 11L, byKey, 121L),
            Map.of(RAW_0, 11L, byKey, 121L));
    assertThat(s.lag()).isEqualTo(20);
    assertThat(s.lag(topic -> !topic.startsWith("refinery-dedup-filter-"))).isZero();
    assertThat(s.lag(topic -> topic.startsWith("refinery-dedup-filter-"))).isEqualTo(20);
  }

  @Test
  void aPartitionWithATransactionOpenIsNotReadToItsEnd() {
    // records 11 to 14 written in a transaction not yet committed: they will be read, with record
    // times from before the snapshot
    var s = new AdminLag.Snapshot(AT, Map.of(RAW_0, 11L), Map.of(RAW_0, 11L), Map.of(RAW_0, 15L));
    assertThat(s.lag()).isZero();
    assertThat(s.readAt(RAW_0, 11)).isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void theGroupsCommittedOffsetCountsWhereTheReaderHasReadNothingSinceItStarted() {
    var s = new AdminLag.Snapshot(AT, Map.of(RAW_0, 11L), Map.of(RAW_0, 11L), Map.of(RAW_0, 11L));
    assertThat(s.readAt(RAW_0, -1)).isEqualTo(AT);
  }
}
