package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Document;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The reason of a duplicate does not depend on which of its keys met the smaller document first: a
 * copy of the same text is an exact duplicate even when only a MinHash band (or its URL) answered
 * in time, which happens when the original reaches the exact key's bucket after the copy's hold.
 */
class DuplicateDecisionTest {
  private final GatherProcessor gather =
      new GatherProcessor(new DedupFilterConfig(Map.of()), DedupMetrics.inMemory(), 1);
  private final Document copy = Docs.prose("copy", 7);
  private final long textHash = TextFingerprint.hash64(TextFingerprint.of(copy.getText()));

  @Test
  void aSameTextAnswerFromABandIsAnExactDuplicate() {
    GatherProcessor.State state = new GatherProcessor.State();
    state.near = new Member(1, "original", "0:0", textHash);
    state.bandsShared = 14;
    GatherProcessor.Duplicate d = gather.duplicate(state, copy);
    assertThat(d.reason()).isEqualTo(RejectReason.EXACT_DUPLICATE);
    assertThat(d.of().docId()).isEqualTo("original");
  }

  @Test
  void theSameWhenTheExactKeyAnsweredToo() {
    GatherProcessor.State state = new GatherProcessor.State();
    state.exact = new Member(1, "original", "0:0", textHash);
    state.near = new Member(1, "original", "0:0", textHash);
    assertThat(gather.duplicate(state, copy).reason()).isEqualTo(RejectReason.EXACT_DUPLICATE);
  }

  @Test
  void aSameTextAnswerFromTheUrlIsAnExactDuplicate() {
    GatherProcessor.State state = new GatherProcessor.State();
    state.url = new Member(1, "original", "0:0", textHash);
    assertThat(gather.duplicate(state, copy).reason()).isEqualTo(RejectReason.EXACT_DUPLICATE);
  }

  @Test
  void anotherTextFromABandIsANearDuplicate() {
    GatherProcessor.State state = new GatherProcessor.State();
    state.near = new Member(1, "similar", "0:0", textHash ^ (1L << 32));
    state.bandsShared = 3;
    GatherProcessor.Duplicate d = gather.duplicate(state, copy);
    assertThat(d.reason()).isEqualTo(RejectReason.NEAR_DUPLICATE);
    assertThat(d.measured()).isEqualTo(3.0);
  }

  @Test
  void aHolderKeepsTheUpperHalfOfTheTextHashWhichIsWhatIsCompared() {
    // what dedup-smallest keeps since version 5 of its members, as an answer carries it back
    Member stored =
        Member.fromBytes(
            new Member(1, "original", "0:0", textHash).toStoredBytes(DedupKey.Kind.BAND));
    GatherProcessor.State state = new GatherProcessor.State();
    state.near = stored;
    assertThat(gather.duplicate(state, copy).reason()).isEqualTo(RejectReason.EXACT_DUPLICATE);
    // so a hash that differs in its lower half alone is the same text
    state.near = new Member(1, "similar", "0:0", textHash ^ 1);
    assertThat(gather.duplicate(state, copy).reason()).isEqualTo(RejectReason.EXACT_DUPLICATE);
  }

  @Test
  void anAnswerOfUnknownTextFromAnOlderBuildStaysNear() {
    GatherProcessor.State state = new GatherProcessor.State();
    state.near = new Member(1, "old", "0:0"); // version 0: no text hash
    assertThat(gather.duplicate(state, copy).reason()).isEqualTo(RejectReason.NEAR_DUPLICATE);
  }

  @Test
  void noSmallerDocumentIsClean() {
    assertThat(gather.duplicate(new GatherProcessor.State(), copy)).isNull();
  }
}
