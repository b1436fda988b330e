package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.Rating;
import dev.refinery.schemas.Sample;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Argilla answers name completions through the record's fields, whatever order the record shows
 * them in, and whatever the preference question is called.
 */
class ArgillaOrientationTest {
  private final Pseudonyms pseudonyms = new Pseudonyms(Fixtures.KEY);

  private static final Sample HAMLET = Fixtures.hamlet();

  /** The fixture's delivery with its record's responses shown in another order. */
  private static ObjectNode shuffled() {
    ObjectNode body = (ObjectNode) Fixtures.json("argilla-response-created.json");
    ObjectNode fields = (ObjectNode) body.get("data").get("record").get("fields");
    fields.put("response-1", Fixtures.HAMLET_3);
    fields.put("response-2", Fixtures.HAMLET_1);
    fields.put("response-3", Fixtures.HAMLET_2);
    return body;
  }

  private PreferenceLabel resolve(ObjectNode body, Set<String> questions) throws BadPayload {
    return LabelResolver.resolve(
        ArgillaWebhook.parse(body, "sample_id", questions).labels().get(0),
        Fixtures.known(HAMLET),
        pseudonyms,
        "data.values");
  }

  @Test
  void aRankingFollowsTheFieldsTheRecordShowedNotTheirOrder() throws Exception {
    // response-2 first (it shows r1's text), response-1 (r3) and response-3 (r2) tied
    assertThat(resolve(shuffled(), Set.of()).getRanking())
        .containsExactly(List.of("r1"), List.of("r3", "r2"));
  }

  @Test
  void aPreferenceQuestionOfAnyNameIsAPairwiseChoice() throws Exception {
    ObjectNode body = shuffled();
    ObjectNode values = ((ObjectNode) body.get("data")).putObject("values");
    values.putObject("which_reads_better").put("value", "response-3");
    ObjectNode question =
        ((com.fasterxml.jackson.databind.node.ArrayNode)
                body.get("data").get("record").get("dataset").get("questions"))
            .addObject();
    question.put("name", "which_reads_better");
    ObjectNode settings = question.putObject("settings").put("type", "label_selection");
    settings.putArray("options").addObject().put("value", "response-1");
    ((com.fasterxml.jackson.databind.node.ArrayNode) settings.get("options"))
        .addObject()
        .put("value", "response-3");

    PreferenceLabel label = resolve(body, Set.of());
    assertThat(label.getRanking()).containsExactly(List.of("r2"), List.of("r3"));

    // a question named in feedback.argilla.preference.questions, without settings in the delivery
    ObjectNode named = shuffled();
    ((ObjectNode) named.get("data")).putObject("values").putObject("winner").put("value", "r2");
    Sample two =
        Fixtures.sampleWithTexts("s-arg-1", "p3", "r1", Fixtures.HAMLET_1, "r2", Fixtures.HAMLET_2);
    assertThat(
            LabelResolver.resolve(
                    ArgillaWebhook.parse(named, "sample_id", Set.of("winner")).labels().get(0),
                    Fixtures.known(two),
                    pseudonyms,
                    "data.values")
                .getRanking())
        .containsExactly(List.of("r2"), List.of("r1"));
  }

  @Test
  void perResponseRatingsRateTheResponseTheQuestionNames() throws Exception {
    ObjectNode body = shuffled();
    ObjectNode values = ((ObjectNode) body.get("data")).putObject("values");
    values.putObject("rating-response-1").put("value", 5);
    values.putObject("rating-response-2").put("value", 2);
    PreferenceLabel label = resolve(body, Set.of());
    assertThat(label.getRatings())
        .extracting(Rating::getCompletionId, Rating::getValue)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("r3", 5.0),
            org.assertj.core.groups.Tuple.tuple("r1", 2.0));
  }

  @Test
  void anOptionThatNamesNoCompletionIsRefusedNamingIt() {
    ObjectNode body = shuffled();
    ((ObjectNode) body.get("data").get("record").get("fields")).put("response-2", "edited text");
    assertThatThrownBy(() -> resolve(body, Set.of()))
        .isInstanceOfSatisfying(
            BadPayload.class,
            e -> assertThat(e.field()).isEqualTo("data.record.fields.response-2"));
  }
}
