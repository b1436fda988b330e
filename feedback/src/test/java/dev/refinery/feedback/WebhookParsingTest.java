package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.schemas.LabelKind;
import dev.refinery.schemas.PreferenceLabel;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookParsingTest {
  private final Pseudonyms pseudonyms = new Pseudonyms(Fixtures.KEY);

  @Test
  void labelStudioPairwiseWithRatingAndFlag() throws Exception {
    WebhookResult result =
        LabelStudioWebhook.parse(
            Fixtures.json("label-studio-pairwise-created.json"),
            "sample_id",
            LabelStudioWebhook.Configs.DELIVERED);
    assertThat(result.ignored()).isNull();
    PreferenceLabel raw = result.labels().get(0);
    assertThat(raw.getLabelId()).isEqualTo("label-studio:2:17");
    assertThat(raw.getRevision())
        .isEqualTo(Instant.parse("2026-11-20T13:52:48.536370Z").toEpochMilli());
    assertThat(raw.getKind()).isEqualTo(LabelKind.PAIRWISE);
    assertThat(raw.getTimeSpentMs()).isEqualTo(37_130L);

    PreferenceLabel label =
        LabelResolver.resolve(
            raw,
            Fixtures.known(
                Fixtures.sampleWithTexts(
                    "s-pair-1", "p1", "a1", Fixtures.SKY_WRONG, "a2", Fixtures.SKY_RIGHT)),
            pseudonyms,
            "annotation.result");
    // "right" is the object answer2, which shows a2's text: a2 over a1
    assertThat(label.getRanking()).containsExactly(List.of("a2"), List.of("a1"));
    assertThat(label.getRatings())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getCompletionId()).isEqualTo("a2");
              assertThat(r.getDimension()).isEqualTo("helpfulness");
              assertThat(r.getValue()).isEqualTo(6.0);
              assertThat(r.getScaleMax()).isEqualTo(7.0);
            });
    assertThat(label.getFlags())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getCompletionId()).isEqualTo("a1");
              assertThat(f.getFlag()).isEqualTo("hallucination");
            });
    assertThat(label.getLabeler()).startsWith("lb_").isEqualTo(pseudonyms.of("label-studio", "4"));
    assertThat(label.toString()).doesNotContain("\"labeler\": \"4\"");
  }

  @Test
  void labelStudioRankerIsAStrictRankingAndGroundTruthIsGold() throws Exception {
    PreferenceLabel raw =
        LabelStudioWebhook.parse(
                Fixtures.json("label-studio-ranker-updated.json"),
                "sample_id",
                LabelStudioWebhook.Configs.DELIVERED)
            .labels()
            .get(0);
    PreferenceLabel label =
        LabelResolver.resolve(
            raw,
            Fixtures.known(Fixtures.sample("s-rank-1", "p2", "c1", "c2", "c3", "c4")),
            pseudonyms,
            "");
    assertThat(label.getKind()).isEqualTo(LabelKind.RANKING);
    assertThat(label.getRanking())
        .containsExactly(List.of("c3"), List.of("c1"), List.of("c4"), List.of("c2"));
    assertThat(label.getGold()).isTrue();
  }

  @Test
  void argillaRankingWithTiesRatingAndFlags() throws Exception {
    PreferenceLabel raw =
        ArgillaWebhook.parse(Fixtures.json("argilla-response-created.json"), "sample_id")
            .labels()
            .get(0);
    assertThat(raw.getLabelId()).isEqualTo("argilla:4c1d2a9e-7f3b-4d55-9a0e-2b6f1c8d7e90");
    assertThat(raw.getSampleId()).isEqualTo("s-arg-1");
    PreferenceLabel label =
        LabelResolver.resolve(raw, Fixtures.known(Fixtures.hamlet()), pseudonyms, "data.values");
    // response-2 first, response-1 and response-3 tied second
    assertThat(label.getRanking()).containsExactly(List.of("r2"), List.of("r1", "r3"));
    assertThat(label.getRatings())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getDimension()).isEqualTo("overall");
              assertThat(r.getScaleMax()).isEqualTo(5.0);
              assertThat(r.getCompletionId()).isNull();
            });
    assertThat(label.getFlags()).extracting(f -> f.getFlag()).containsExactly("verbose");
    assertThat(label.getLabeler())
        .isEqualTo(pseudonyms.of("argilla", "5d6e7f80-91a2-b3c4-d5e6-f70819203142"));
  }

  @Test
  void argillaPairwiseChoiceAndTie() throws Exception {
    ObjectNode body = (ObjectNode) Fixtures.json("argilla-response-created.json");
    ObjectNode values = ((ObjectNode) body.get("data")).putObject("values");
    values.putObject("preference").put("value", "response-2");
    PreferenceLabel label =
        LabelResolver.resolve(
            ArgillaWebhook.parse(body, "sample_id").labels().get(0),
            Fixtures.known(
                Fixtures.sampleWithTexts(
                    "s-arg-1", "p3", "r1", Fixtures.HAMLET_1, "r2", Fixtures.HAMLET_2)),
            pseudonyms,
            "");
    assertThat(label.getRanking()).containsExactly(List.of("r2"), List.of("r1"));

    values.putObject("preference").put("value", "Tie");
    label =
        LabelResolver.resolve(
            ArgillaWebhook.parse(body, "sample_id").labels().get(0),
            Fixtures.known(
                Fixtures.sampleWithTexts(
                    "s-arg-1", "p3", "r1", Fixtures.HAMLET_1, "r2", Fixtures.HAMLET_2)),
            pseudonyms,
            "");
    assertThat(label.getRanking()).containsExactly(List.of("r1", "r2"));
  }

  @Test
  void draftsOtherEventsAndSkippedAnnotationsAreIgnored() throws Exception {
    ObjectNode argilla = (ObjectNode) Fixtures.json("argilla-response-created.json");
    ((ObjectNode) argilla.get("data")).put("status", "draft");
    assertThat(ArgillaWebhook.parse(argilla, "sample_id").ignored()).contains("draft");
    argilla.put("type", "dataset.updated");
    assertThat(ArgillaWebhook.parse(argilla, "sample_id").ignored()).contains("dataset.updated");

    ObjectNode studio = (ObjectNode) Fixtures.json("label-studio-pairwise-created.json");
    ((ObjectNode) studio.get("annotation")).put("was_cancelled", true);
    assertThat(
            LabelStudioWebhook.parse(studio, "sample_id", LabelStudioWebhook.Configs.DELIVERED)
                .ignored())
        .isEqualTo("skipped annotation");
    studio.put("action", "TASKS_CREATED");
    assertThat(
            LabelStudioWebhook.parse(studio, "sample_id", LabelStudioWebhook.Configs.DELIVERED)
                .ignored())
        .contains("TASKS_CREATED");
  }

  @Test
  void garbageNamesTheField() {
    ObjectNode noTask = (ObjectNode) Fixtures.json("label-studio-pairwise-created.json");
    noTask.remove("task");
    assertThatThrownBy(
            () ->
                LabelStudioWebhook.parse(noTask, "sample_id", LabelStudioWebhook.Configs.DELIVERED))
        .isInstanceOfSatisfying(BadPayload.class, e -> assertThat(e.field()).isEqualTo("task"));

    ObjectNode badChoice = (ObjectNode) Fixtures.json("label-studio-pairwise-created.json");
    ((ObjectNode) badChoice.get("annotation").get("result").get(0).get("value"))
        .put("selected", "middle");
    assertThatThrownBy(
            () ->
                LabelStudioWebhook.parse(
                    badChoice, "sample_id", LabelStudioWebhook.Configs.DELIVERED))
        .isInstanceOfSatisfying(
            BadPayload.class,
            e -> assertThat(e.field()).isEqualTo("annotation.result[0].value.selected"));

    ObjectNode noSample = (ObjectNode) Fixtures.json("label-studio-pairwise-created.json");
    ((ObjectNode) noSample.get("task").get("data")).remove("sample_id");
    assertThatThrownBy(
            () ->
                LabelStudioWebhook.parse(
                    noSample, "sample_id", LabelStudioWebhook.Configs.DELIVERED))
        .isInstanceOfSatisfying(
            BadPayload.class, e -> assertThat(e.field()).isEqualTo("task.data.sample_id"));

    ObjectNode noRecordId = (ObjectNode) Fixtures.json("argilla-response-created.json");
    ObjectNode record = (ObjectNode) noRecordId.get("data").get("record");
    record.remove("external_id");
    record.remove("metadata");
    assertThatThrownBy(() -> ArgillaWebhook.parse(noRecordId, "sample_id"))
        .isInstanceOfSatisfying(
            BadPayload.class, e -> assertThat(e.field()).isEqualTo("data.record.external_id"));

    ObjectNode badTime = (ObjectNode) Fixtures.json("argilla-response-created.json");
    ((ObjectNode) badTime.get("data")).put("updated_at", "yesterday");
    assertThatThrownBy(() -> ArgillaWebhook.parse(badTime, "sample_id"))
        .isInstanceOfSatisfying(
            BadPayload.class, e -> assertThat(e.field()).isEqualTo("data.updated_at"));
  }

  @Test
  void aCompletionTheSampleLacksIsRefusedNamingIt() throws Exception {
    PreferenceLabel raw =
        LabelStudioWebhook.parse(
                Fixtures.json("label-studio-ranker-updated.json"),
                "sample_id",
                LabelStudioWebhook.Configs.DELIVERED)
            .labels()
            .get(0);
    assertThatThrownBy(
            () ->
                LabelResolver.resolve(
                    raw,
                    Fixtures.known(Fixtures.sample("s-rank-1", "p2", "c1", "c2")),
                    pseudonyms,
                    "annotation.result"))
        .isInstanceOfSatisfying(
            BadPayload.class,
            e -> {
              assertThat(e.field()).isEqualTo("task.data.answers[id=c3]");
              assertThat(e.getMessage()).contains("c3");
            });
  }

  @Test
  void standardWebhooksSignatures() throws Exception {
    String secret =
        "whsec_"
            + java.util.Base64.getEncoder()
                .encodeToString("0123456789abcdef0123456789abcdef".getBytes());
    StandardWebhooks hooks = new StandardWebhooks(secret, 300);
    byte[] body = Fixtures.bytes("argilla-response-created.json");
    Instant now = Instant.parse("2026-11-20T15:04:06Z");
    String sig = hooks.sign("msg_1", now.getEpochSecond(), body);
    hooks.verify("msg_1", Long.toString(now.getEpochSecond()), "v1,bm90LWl0 " + sig, body, now);

    StandardWebhooks other =
        new StandardWebhooks(
            "whsec_"
                + java.util.Base64.getEncoder()
                    .encodeToString("another-secret-another-secret!!!".getBytes()),
            300);
    assertThatThrownBy(
            () -> other.verify("msg_1", Long.toString(now.getEpochSecond()), sig, body, now))
        .isInstanceOfSatisfying(
            BadPayload.class,
            e -> {
              assertThat(e.status()).isEqualTo(401);
              assertThat(e.field()).isEqualTo("webhook-signature");
            });
    byte[] tampered = body.clone();
    tampered[10] ^= 1;
    assertThatThrownBy(
            () -> hooks.verify("msg_1", Long.toString(now.getEpochSecond()), sig, tampered, now))
        .isInstanceOfSatisfying(
            BadPayload.class, e -> assertThat(e.field()).isEqualTo("webhook-signature"));
    assertThatThrownBy(
            () ->
                hooks.verify(
                    "msg_1", Long.toString(now.getEpochSecond()), sig, body, now.plusSeconds(301)))
        .isInstanceOfSatisfying(
            BadPayload.class, e -> assertThat(e.field()).isEqualTo("webhook-timestamp"));
    assertThatThrownBy(() -> hooks.verify(null, "1", sig, body, now))
        .isInstanceOfSatisfying(
            BadPayload.class, e -> assertThat(e.field()).isEqualTo("webhook-id"));
  }

  @Test
  void nativeLabelsAndJudgements() throws Exception {
    var node =
        Fixtures.JSON.readTree(
            "{\"label_id\":\"l1\",\"sample_id\":\"s\",\"labeler\":\"alice@example.com\",\"chosen\":\"c2\",\"rejected\":\"c1\",\"strength\":2,\"revision\":3}");
    PreferenceLabel label =
        LabelResolver.resolve(
            NativeApi.label(node, "", Instant.EPOCH),
            Fixtures.known(Fixtures.sample("s", "p", "c1", "c2")),
            pseudonyms,
            "");
    assertThat(label.getLabelId()).isEqualTo("native:l1");
    assertThat(label.getRevision()).isEqualTo(3);
    assertThat(label.getRanking()).containsExactly(List.of("c2"), List.of("c1"));
    assertThat(label.getStrength()).isEqualTo(2.0);
    assertThat(label.getLabeler()).doesNotContain("alice");

    var bad =
        Fixtures.JSON.readTree(
            "{\"label_id\":\"l1\",\"sample_id\":\"s\",\"labeler\":\"a\",\"chosen\":\"c2\"}");
    assertThatThrownBy(() -> NativeApi.label(bad, "[3]", Instant.EPOCH))
        .isInstanceOfSatisfying(
            BadPayload.class, e -> assertThat(e.field()).isEqualTo("[3].rejected"));

    var judgement =
        Fixtures.JSON.readTree(
            "{\"sample_id\":\"s\",\"completion_id\":\"c1\",\"rubric_id\":\"refusal-style\",\"rubric_version\":\"1\",\"class\":\"Z\",\"judge\":\"rbrm-1\"}");
    assertThatThrownBy(() -> NativeApi.judgement(judgement, "", RubricTable.DEFAULT, Instant.EPOCH))
        .isInstanceOfSatisfying(
            BadPayload.class,
            e -> {
              assertThat(e.field()).isEqualTo("class");
              assertThat(e.getMessage()).contains("[A, B, C, D]");
            });
  }
}
