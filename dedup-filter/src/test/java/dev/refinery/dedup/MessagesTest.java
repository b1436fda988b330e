package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The stage's internal record formats: what one step writes, the next reads back. */
class MessagesTest {
  @Test
  void keysRoundTrip() {
    DedupKey band = DedupKey.band(7, 0x9f3a_0000_0000_0001L);
    assertThat(band.encode()).isEqualTo("b07:9f3a000000000001");
    assertThat(DedupKey.decode(band.encode())).isEqualTo(band);
    DedupKey exact = new DedupKey(DedupKey.Kind.EXACT, 0, TextFingerprint.of("x"));
    assertThat(DedupKey.decode(exact.encode())).isEqualTo(exact);
    assertThatThrownBy(() -> DedupKey.decode("z00:00"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void membersOrderByEventTimeThenId() {
    Member early = new Member(1, "b", "0:1");
    Member late = new Member(2, "a", "0:0");
    Member sameTime = new Member(1, "c", "3:9");
    assertThat(early).isLessThan(late).isLessThan(sameTime);
    assertThat(Member.fromBytes(sameTime.toBytes())).isEqualTo(sameTime);
  }

  @Test
  void gatherMessagesRoundTrip() {
    Gather.Doc doc = new Gather.Doc(16, new byte[] {1, 2, 3}, new byte[0]);
    Gather.Doc back = (Gather.Doc) Gather.decode(Gather.encode(doc));
    assertThat(back.expected()).isEqualTo(16);
    assertThat(back.document()).containsExactly(1, 2, 3);
    assertThat(back.rejected()).isFalse();
    Gather.Doc rejected =
        (Gather.Doc) Gather.decode(Gather.encode(new Gather.Doc(1, new byte[0], new byte[] {4})));
    assertThat(rejected.rejection()).containsExactly(4);
    assertThat(rejected.document()).isEmpty();
    Gather.Answer answer =
        new Gather.Answer(DedupKey.Kind.BAND, 13, new Member(5, "d", "1:2"), false);
    assertThat(Gather.decode(Gather.encode(answer))).isEqualTo(answer);
    Gather.Answer replay = new Gather.Answer(DedupKey.Kind.EXACT, 0, null, true);
    assertThat(Gather.decode(Gather.encode(replay))).isEqualTo(replay);
    assertThatThrownBy(() -> Gather.decode(new byte[] {9}))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
