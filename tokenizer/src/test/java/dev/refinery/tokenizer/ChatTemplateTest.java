package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A conversation rendered ChatML-style, and the tokens a trainer learns from: the assistant's. */
class ChatTemplateTest {
  private final Tokenizer tokenizer = Tokenizer.forName("cl100k_base");

  @Test
  void onlyTheAssistantTurnsAndTheirEndMarkersAreLearnedFrom() {
    List<Message> turns =
        List.of(
            new Message("system", "Be brief."),
            new Message("user", "Capital of France?"),
            new Message("assistant", "Paris."),
            new Message("user", "And of Italy?"),
            new Message("assistant", "Rome."));

    ChatTemplate.Rendered r = ChatTemplate.render(turns, tokenizer);

    int[] t = r.tokens();
    assertThat(tokenizer.decode(t, 0, t.length))
        .isEqualTo(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nCapital of France?<|im_end|>\n"
                + "<|im_start|>assistant\nParis.<|im_end|>\n<|im_start|>user\nAnd of Italy?<|im_end|>\n"
                + "<|im_start|>assistant\nRome.<|im_end|>\n");
    int[] ranges = r.lossRanges();
    assertThat(ranges).hasSize(4);
    assertThat(tokenizer.decode(t, ranges[0], ranges[1] - ranges[0])).isEqualTo("Paris.<|im_end|>");
    assertThat(tokenizer.decode(t, ranges[2], ranges[3] - ranges[2])).isEqualTo("Rome.<|im_end|>");
  }
}
