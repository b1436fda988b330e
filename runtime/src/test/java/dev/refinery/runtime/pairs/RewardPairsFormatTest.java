package dev.refinery.runtime.pairs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.schemas.PairOrigin;
import dev.refinery.schemas.RewardModelPair;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each export format as its trainer documents it: TRL's dataset formats (standard with explicit or
 * implicit prompt, conversational) and OpenRLHF's reward dataset, with a margin on every row or on
 * none, never on some.
 */
class RewardPairsFormatTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static RewardModelPair pair(String id, Double margin) {
    return RewardModelPair.newBuilder()
        .setPairId("label:l/" + id)
        .setSetId("label:l")
        .setSetRevision(1)
        .setSetSize(2)
        .setGroupId("p")
        .setPromptId("p")
        .setSampleId("s")
        .setPrompt("Why is the sky blue?")
        .setChosen("Rayleigh scattering.")
        .setRejected("The ocean.")
        .setChosenCompletionId("a")
        .setRejectedCompletionId("b")
        .setMargin(margin)
        .setOrigin(PairOrigin.HUMAN)
        .setCreatedAt(Instant.EPOCH)
        .build();
  }

  private static List<JsonNode> rows(
      List<RewardModelPair> pairs, RewardPairs.Format format, RewardPairs.Margin margin)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RewardPairs.write(pairs, format, margin, false, out);
    return out.toString(StandardCharsets.UTF_8).lines().map(RewardPairsFormatTest::parse).toList();
  }

  private static JsonNode parse(String line) {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** TRL's is_conversational: a list of {role, content} messages. */
  private static boolean conversational(JsonNode messages) {
    if (!messages.isArray() || messages.isEmpty()) {
      return false;
    }
    for (JsonNode m : messages) {
      if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
        return false;
      }
    }
    return true;
  }

  private final List<RewardModelPair> mixed = List.of(pair("a>b", 2.0), pair("c>d", null));

  @Test
  void trlPreferenceHasAnExplicitPromptAndAMarginOnEveryRowOrNone() throws IOException {
    List<JsonNode> rows = rows(mixed, RewardPairs.Format.TRL_PREFERENCE, RewardPairs.Margin.AUTO);
    assertThat(rows)
        .allSatisfy(
            r -> {
              assertThat(r.get("prompt").isTextual()).isTrue();
              assertThat(r.get("chosen").isTextual()).isTrue();
              assertThat(r.get("rejected").isTextual()).isTrue();
              assertThat(r.get("margin").isDouble()).isTrue();
            });
    assertThat(rows).extracting(r -> r.get("margin").asDouble()).containsExactly(2.0, 0.0);
    assertThat(rows(mixed, RewardPairs.Format.TRL_PREFERENCE, RewardPairs.Margin.NEVER))
        .allSatisfy(r -> assertThat(r.has("margin")).isFalse());
    assertThat(
            rows(
                List.of(pair("c>d", null)),
                RewardPairs.Format.TRL_PREFERENCE,
                RewardPairs.Margin.AUTO))
        .allSatisfy(r -> assertThat(r.has("margin")).isFalse());
  }

  @Test
  void trlImplicitHoldsThePromptInBothSoItIsTheirCommonPrefix() throws IOException {
    JsonNode row = rows(mixed, RewardPairs.Format.TRL_IMPLICIT, RewardPairs.Margin.NEVER).get(0);
    assertThat(row.has("prompt")).isFalse();
    String chosen = row.get("chosen").asText();
    String rejected = row.get("rejected").asText();
    // TRL's extract_prompt: the longest common prefix of chosen and rejected is the prompt
    int common = 0;
    while (common < Math.min(chosen.length(), rejected.length())
        && chosen.charAt(common) == rejected.charAt(common)) {
      common++;
    }
    assertThat(chosen.substring(0, common)).isEqualTo("Why is the sky blue?\n\n");
    assertThat(chosen.substring(common)).isEqualTo("Rayleigh scattering.");
    assertThat(rejected.substring(common)).isEqualTo("The ocean.");
  }

  @Test
  void conversationalFormatsAreListsOfMessages() throws IOException {
    for (RewardPairs.Format format :
        List.of(RewardPairs.Format.TRL_CONVERSATIONAL, RewardPairs.Format.OPENRLHF)) {
      List<JsonNode> rows = rows(mixed, format, RewardPairs.Margin.AUTO);
      assertThat(rows)
          .allSatisfy(
              r -> {
                assertThat(conversational(r.get("prompt"))).isTrue();
                assertThat(r.get("prompt").get(0).get("role").asText()).isEqualTo("user");
                assertThat(conversational(r.get("chosen"))).isTrue();
                assertThat(r.get("chosen").get(0).get("role").asText()).isEqualTo("assistant");
                assertThat(conversational(r.get("rejected"))).isTrue();
              });
    }
    // OpenRLHF's RewardDataset reads margin where present, else 0: always written
    assertThat(
            rows(List.of(pair("c>d", null)), RewardPairs.Format.OPENRLHF, RewardPairs.Margin.AUTO))
        .allSatisfy(r -> assertThat(r.get("margin").asDouble()).isZero());
  }

  @Test
  void formatsAreNamedAsOnTheCommandLine() {
    assertThat(RewardPairs.Format.ofCliName("trl-conversational"))
        .isEqualTo(RewardPairs.Format.TRL_CONVERSATIONAL);
    assertThatThrownBy(() -> RewardPairs.Format.ofCliName("trl"))
        .hasMessageContaining("trl-preference");
  }
}
