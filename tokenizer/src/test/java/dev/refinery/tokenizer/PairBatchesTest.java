package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pair longer than the context: the prompt's start goes first, the response stays whole. */
class PairBatchesTest {
  private final Tokenizer tokenizer = Tokenizer.forName("cl100k_base");

  @Test
  void aLongPromptLosesItsStartAndTheSpanSaysHowMuch() {
    String prompt = "word ".repeat(200) + "Now answer: yes or no?";
    TokenizedPair p =
        PairBatches.tokenize(
            dev.refinery.schemas.RewardModelPair.newBuilder(
                    TokenizerPreferenceIT.pair("label:x", 1, 1, "yes", "no", 0.5))
                .setPrompt(prompt)
                .build(),
            ChatTemplate.CHATML,
            tokenizer);
    PairSet set = new PairSet("label:x", 1, 1);
    set.add(p);

    TokenBatch b = PairBatches.batch("rlhf", 7, List.of(set), 48, true, tokenizer, 0L);

    assertThat(b.getBatchId()).isEqualTo(PackFunction.batchId("rlhf", 7));
    assertThat(b.getNumSequences()).isEqualTo(2);
    int[] tokens = TokenBytes.of(b);
    for (DocumentSpan s : b.getSpans()) {
      assertThat(s.getLength()).as("the label position stays padding").isEqualTo(48);
      assertThat(s.getDocOffset() + s.getLength()).isEqualTo(s.getDocTokens());
      String kept = tokenizer.decode(tokens, TokenBytes.position(b, s), s.getLength());
      assertThat(kept)
          .endsWith(
              "Now answer: yes or no?<|im_end|>\n<|im_start|>assistant\n"
                  + (s.getSequence() == 0 ? "The sky is yes." : "It is no, of course.")
                  + "<|im_end|>\n");
      assertThat(s.getLossRanges().get(0)).isGreaterThan(s.getDocOffset());
      assertThat(tokens[s.getSequence() * 49 + 48]).isEqualTo(tokenizer.endOfText());
    }
    assertThat(b.getSequencePadding()).containsExactly(1, 1);
    assertThat(b.getPairs().get(0).getMargin()).isEqualTo(0.5);
  }

  @Test
  void aResponseLongerThanTheContextKeepsItsStartAndNoPrompt() {
    TokenizedPair p =
        PairBatches.tokenize(
            dev.refinery.schemas.RewardModelPair.newBuilder(
                    TokenizerPreferenceIT.pair("label:y", 1, 1, "a", "b", null))
                .setChosen("many words ".repeat(100))
                .build(),
            ChatTemplate.CHATML,
            tokenizer);
    PairSet set = new PairSet("label:y", 1, 1);
    set.add(p);

    TokenBatch b = PairBatches.batch("rlhf", 0, List.of(set), 16, false, tokenizer, 0L);

    DocumentSpan chosen = b.getSpans().get(0);
    assertThat(chosen.getLength()).isEqualTo(16);
    assertThat(chosen.getLossRanges())
        .containsExactly(chosen.getDocOffset(), chosen.getDocOffset() + 16);
    assertThat(tokenizer.decode(TokenBytes.of(b), 0, 16)).startsWith("many words many words");
  }
}
