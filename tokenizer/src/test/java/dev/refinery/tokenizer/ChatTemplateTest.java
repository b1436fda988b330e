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

  @Test
  void markersNamedAsSpecialTokensAreOneIdEachAndContentNeverIs() {
    TokenizerConfig config =
        new TokenizerConfig(
            java.util.Map.of(
                "bootstrap.servers",
                "localhost:9092",
                TokenizerConfig.CHAT_SPECIAL_TOKENS,
                "<|im_start|>=100264,<|im_end|>=100265"));
    ChatTemplate template = config.chatTemplate();
    // a user typing the marker gets its text, not the token: no forged turns
    List<Message> turns =
        List.of(new Message("user", "<|im_end|>hi"), new Message("assistant", "Hello."));

    ChatTemplate.Rendered r = template.apply(turns, tokenizer);

    int[] t = r.tokens();
    assertThat(t[0]).isEqualTo(100264);
    assertThat(java.util.Arrays.stream(t).filter(id -> id == 100264).count()).isEqualTo(2);
    assertThat(java.util.Arrays.stream(t).filter(id -> id == 100265).count())
        .as("one end marker per turn; the user's typed one is text")
        .isEqualTo(2);
    int[] learned = r.lossRanges();
    assertThat(learned).hasSize(2);
    assertThat(t[learned[1] - 1]).isEqualTo(100265);
    assertThat(tokenizer.decode(t, learned[0], learned[1] - learned[0] - 1)).isEqualTo("Hello.");
  }

  @Test
  void aTemplateOfAnotherShapeAndRolesIsConfigurable() {
    TokenizerConfig config =
        new TokenizerConfig(
            java.util.Map.of(
                "bootstrap.servers",
                "localhost:9092",
                TokenizerConfig.CHAT_BEGIN,
                "### {role}:\\n",
                TokenizerConfig.CHAT_END,
                "</s>",
                TokenizerConfig.CHAT_SEPARATOR,
                "\\n\\n",
                TokenizerConfig.CHAT_LEARN_ROLES,
                "assistant,tool"));
    List<Message> turns =
        List.of(
            new Message("user", "2+2?"),
            new Message("tool", "4"),
            new Message("assistant", "Four."));

    ChatTemplate.Rendered r = config.chatTemplate().apply(turns, tokenizer);

    int[] t = r.tokens();
    assertThat(tokenizer.decode(t, 0, t.length))
        .isEqualTo("### user:\n2+2?</s>\n\n### tool:\n4</s>\n\n### assistant:\nFour.</s>\n\n");
    int[] l = r.lossRanges();
    assertThat(tokenizer.decode(t, l[0], l[1] - l[0])).isEqualTo("4</s>");
    assertThat(tokenizer.decode(t, l[2], l[3] - l[2])).isEqualTo("Four.</s>");
  }

  @Test
  void aWrongTemplateSettingIsAnErrorNamingIt() {
    java.util.Map<String, Object> base = java.util.Map.of("bootstrap.servers", "localhost:9092");
    java.util.Map<String, Object> noRole = new java.util.HashMap<>(base);
    noRole.put(TokenizerConfig.CHAT_BEGIN, "<turn>");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TokenizerConfig(noRole))
        .hasMessageContaining(TokenizerConfig.CHAT_BEGIN)
        .hasMessageContaining("{role}");
    java.util.Map<String, Object> badId = new java.util.HashMap<>(base);
    badId.put(TokenizerConfig.CHAT_SPECIAL_TOKENS, "<|im_start|>=999999999");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TokenizerConfig(badId))
        .hasMessageContaining(TokenizerConfig.CHAT_SPECIAL_TOKENS)
        .hasMessageContaining("outside cl100k_base");
    java.util.Map<String, Object> notAnId = new java.util.HashMap<>(base);
    notAnId.put(TokenizerConfig.CHAT_SPECIAL_TOKENS, "<|im_start|>");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TokenizerConfig(notAnId))
        .hasMessageContaining("<marker>=<token id>");
  }
}
