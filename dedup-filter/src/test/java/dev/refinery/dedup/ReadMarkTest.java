package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReadMarkTest {
  @Test
  void aMarkReadsBackAndIsToldFromTheOtherRecordsOfTheByKeyTopic() {
    ReadMark mark = new ReadMark(7, 1_764_000_000_123L);
    byte[] bytes = mark.toBytes();
    assertThat(ReadMark.is(bytes)).isTrue();
    assertThat(ReadMark.fromBytes(bytes)).isEqualTo(mark);
    assertThat(KeyBatch.is(bytes)).isFalse();
    Member member = new Member(0L, "doc", "0:1", 1L);
    assertThat(ReadMark.is(member.toBytes())).isFalse();
    assertThat(
            ReadMark.is(
                new KeyBatch(java.util.List.of(java.util.Map.entry("e:x", member))).toBytes()))
        .isFalse();
  }

  @Test
  void garbageIsRefusedWithItsReason() {
    for (byte[] garbage :
        new byte[][] {
          {}, {0x30}, {0x30, 0, 0, 0, 1}, new byte[14], {0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
        }) {
      assertThatThrownBy(() -> ReadMark.fromBytes(garbage))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a read mark");
    }
    byte[] negative = new ReadMark(0, 5).toBytes();
    negative[1] = (byte) 0x80;
    assertThatThrownBy(() -> ReadMark.fromBytes(negative))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("partition");
    assertThat(ReadMark.is(null)).isFalse();
  }

  @Test
  void aMarkGoesToEveryPartitionOfTheByKeyTopicAndAnythingElseWhereItsKeyHashes() {
    assertThat(
            DedupFilterTopology.byKeyPartitions(
                "t", ReadMark.RECORD_KEY, new ReadMark(2, 10).toBytes(), 4))
        .contains(Set.of(0, 1, 2, 3));
    Member member = new Member(0L, "doc", "0:1", 1L);
    assertThat(DedupFilterTopology.byKeyPartitions("t", "e:x", member.toBytes(), 4))
        .isEqualTo(Optional.empty());
  }
}
