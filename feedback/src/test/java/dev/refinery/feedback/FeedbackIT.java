package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.runtime.pairs.RewardPairs;
import dev.refinery.schemas.LabelerStats;
import dev.refinery.schemas.PairOrigin;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feedback service on a real broker: samples and webhooks in through HTTP, reward-model pairs
 * out on feedback.rm-pairs.v1 and in the exported JSONL, and every kind of bad request refused with
 * nothing written.
 */
class FeedbackIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  static final String TOKEN = "tools-secret-0123456789";
  static final String RBRM_ONLY = "rbrm-only-secret-012345";
  static final String ARGILLA_KEY =
      "whsec_" + Base64.getEncoder().encodeToString("argilla-webhook-key-0123456789ab".getBytes());

  @TempDir static Path state;
  static FeedbackService service;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    Map<String, Object> settings = new HashMap<>();
    settings.put("bootstrap.servers", kafka.bootstrapServers());
    settings.put(FeedbackConfig.HTTP_PORT, "0");
    settings.put(FeedbackConfig.HTTP_MAX_BODY_BYTES, "65536");
    settings.put(FeedbackConfig.PSEUDONYM_KEY, "it-pseudonym-key-0123456789");
    settings.put(FeedbackConfig.ARGILLA_SECRET, ARGILLA_KEY);
    settings.put(FeedbackConfig.STATE_DIR, state.toString());
    settings.put(FeedbackConfig.COMMIT_INTERVAL_MS, "100");
    settings.put(
        FeedbackConfig.TOKEN_PREFIX + "tools", "samples,labels,rbrm,label-studio:" + TOKEN);
    settings.put(FeedbackConfig.TOKEN_PREFIX + "judge", "rbrm:" + RBRM_ONLY);
    service = FeedbackService.start(new FeedbackConfig(settings));
    service.awaitReady(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() {
    if (service != null) {
      service.close();
    }
  }

  static HttpResponse<String> post(String path, byte[] body, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://localhost:" + service.port() + path))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .header("Content-Type", "application/json");
    headers.forEach(request::header);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, String body, String token) throws Exception {
    return post(
        path,
        body.getBytes(StandardCharsets.UTF_8),
        token == null ? Map.of() : Map.of("Authorization", "Bearer " + token));
  }

  static HttpResponse<String> labelStudio(JsonNode body) throws Exception {
    return post(
        "/v1/webhooks/label-studio",
        Fixtures.JSON.writeValueAsBytes(body),
        Map.of("Authorization", "Token " + TOKEN));
  }

  static HttpResponse<String> argilla(byte[] body, String secret) throws Exception {
    long now = Instant.now().getEpochSecond();
    String signature = new StandardWebhooks(secret, 300).sign("msg_2r1", now, body);
    return post(
        "/v1/webhooks/argilla",
        body,
        Map.of(
            "webhook-id",
            "msg_2r1",
            "webhook-timestamp",
            Long.toString(now),
            "webhook-signature",
            signature));
  }

  static JsonNode json(HttpResponse<String> response) throws Exception {
    return Fixtures.JSON.readTree(response.body());
  }

  @Test
  void fromWebhooksToRewardModelPairsAndTheExport() throws Exception {
    String samples =
        """
        [{"sample_id":"s-pair-1","prompt":"Explain why the sky is blue.","completions":[
            {"completion_id":"a1","text":"Because the ocean reflects onto it.","model":"policy-7b"},
            {"completion_id":"a2","text":"Air molecules scatter short blue wavelengths of sunlight more than long red ones (Rayleigh scattering), so blue light reaches our eyes from every direction of the sky.","model":"policy-70b"}]},
         {"sample_id":"s-rank-1","prompt":"Write a haiku about Kafka.","completions":[
            {"completion_id":"c1","text":"Logs roll like rivers","model":"m"},
            {"completion_id":"c2","text":"I am a teapot","model":"m"},
            {"completion_id":"c3","text":"Offsets hold the past","model":"m"},
            {"completion_id":"c4","text":"Brokers hum at night","model":"m"}]},
         {"sample_id":"s-arg-1","prompt":"Summarize Hamlet.","completions":[
            {"completion_id":"r1","text":"A prince avenges his father and everyone dies.","model":"m"},
            {"completion_id":"r2","text":"Prince Hamlet feigns madness to avenge his murdered father, and the court ends in ruin.","model":"m"},
            {"completion_id":"r3","text":"A Danish play.","model":"m"}]},
         {"sample_id":"s-native","prompt":"Say hi.","completions":[
            {"completion_id":"x","text":"hi","model":"m"},{"completion_id":"y","text":"hello","model":"m"}]}]
        """;
    HttpResponse<String> written = post("/v1/samples", samples, TOKEN);
    assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
    assertThat(json(written).get("written").asInt()).isEqualTo(4);
    HttpResponse<String> again = post("/v1/samples", samples, TOKEN);
    assertThat(json(again).get("written").asInt()).as("samples are idempotent").isZero();

    // Label Studio: pairwise (right = a2), delivered twice, then edited to left (a1)
    ObjectNode pairwise = (ObjectNode) Fixtures.json("label-studio-pairwise-created.json");
    assertThat(labelStudio(pairwise).statusCode()).isEqualTo(200);
    assertThat(labelStudio(pairwise).statusCode()).as("a redelivery is accepted").isEqualTo(200);
    // Label Studio: a ranking of four
    HttpResponse<String> ranker = labelStudio(Fixtures.json("label-studio-ranker-updated.json"));
    assertThat(ranker.statusCode()).as(ranker.body()).isEqualTo(200);
    // Argilla, signed: r2 first, r1 and r3 tied
    HttpResponse<String> signed =
        argilla(Fixtures.bytes("argilla-response-created.json"), ARGILLA_KEY);
    assertThat(signed.statusCode()).as(signed.body()).isEqualTo(200);
    String labeler = json(signed).get("labels").get(0).get("labeler").asText();
    assertThat(labeler).startsWith("lb_");
    // RBRM judgements of two haiku
    HttpResponse<String> rbrm =
        post(
            "/v1/rbrm",
            """
            [{"sample_id":"s-rank-1","completion_id":"c1","rubric_id":"allowed-request","rubric_version":"1","class":"D","judge":"rbrm-v2"},
             {"sample_id":"s-rank-1","completion_id":"c2","rubric_id":"allowed-request","rubric_version":"1","class":"B","judge":"rbrm-v2"}]
            """,
            RBRM_ONLY);
    assertThat(rbrm.statusCode()).as(rbrm.body()).isEqualTo(200);

    refusalsWriteNothing();

    ObjectNode edited = pairwise.deepCopy();
    ((ObjectNode) edited.get("annotation")).put("updated_at", "2026-11-20T14:30:00.000000Z");
    ((ObjectNode) edited.get("annotation").get("result").get(0).get("value"))
        .put("selected", "left");
    assertThat(labelStudio(edited).statusCode()).isEqualTo(200);

    Set<String> expected =
        Set.of(
            "label:label-studio:2:17/a1>a2",
            "label:label-studio:3:23/c3>c1",
            "label:label-studio:3:23/c3>c4",
            "label:label-studio:3:23/c3>c2",
            "label:label-studio:3:23/c1>c4",
            "label:label-studio:3:23/c1>c2",
            "label:label-studio:3:23/c4>c2",
            "label:argilla:4c1d2a9e-7f3b-4d55-9a0e-2b6f1c8d7e90/r2>r1",
            "label:argilla:4c1d2a9e-7f3b-4d55-9a0e-2b6f1c8d7e90/r2>r3",
            "rbrm:s-rank-1:allowed-request@1/c1>c2");
    kafka.await(
        Topics.FEEDBACK_RM_PAIRS,
        records -> current(records).equals(expected),
        Duration.ofSeconds(60));

    // the export: TRL's columns, one line a pair, a prompt's pairs together
    RewardPairs pairs =
        RewardPairs.read(
            dev.refinery.runtime.config.KafkaClients.of(kafka.bootstrapServers()), n -> {});
    List<RewardModelPair> all = pairs.current(EnumSet.allOf(PairOrigin.class));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(RewardPairs.writeJsonl(all, false, out)).isEqualTo(10);
    List<JsonNode> lines =
        out.toString(StandardCharsets.UTF_8).lines().map(FeedbackIT::parse).toList();
    assertThat(lines)
        .allSatisfy(
            l -> assertThat(l.has("prompt") && l.has("chosen") && l.has("rejected")).isTrue());
    assertThat(lines)
        .filteredOn(l -> l.get("prompt").asText().startsWith("Explain"))
        .singleElement()
        .satisfies(
            l ->
                assertThat(l.get("chosen").asText())
                    .isEqualTo("Because the ocean reflects onto it."));
    // a margin on every row (TRL's collator needs all or none): the RBRM pair's, 0 elsewhere
    assertThat(lines).allSatisfy(l -> assertThat(l.get("margin").isDouble()).isTrue());
    assertThat(lines)
        .filteredOn(l -> l.get("margin").asDouble() != 0.0)
        .singleElement()
        .satisfies(l -> assertThat(l.get("margin").asDouble()).isEqualTo(2.0));
    List<String> groups = all.stream().map(RewardModelPair::getGroupId).toList();
    assertThat(groups).as("grouped by prompt").isSortedAccordingTo(String::compareTo);
    ByteArrayOutputStream human = new ByteArrayOutputStream();
    assertThat(RewardPairs.writeJsonl(pairs.current(EnumSet.of(PairOrigin.HUMAN)), true, human))
        .isEqualTo(9);
    assertThat(human.toString(StandardCharsets.UTF_8))
        .contains("\"labeler\":\"lb_")
        .doesNotContain("\"labeler\":\"4\"");

    // no user id reaches a topic
    List<PreferenceLabel> labels = kafka.values(Topics.FEEDBACK_PREFERENCES);
    assertThat(labels).isNotEmpty().allSatisfy(l -> assertThat(l.getLabeler()).startsWith("lb_"));
    assertThat(labels.stream().map(PreferenceLabel::getSampleId)).doesNotContain("s-native");

    List<LabelerStats> stats =
        kafka.await(Topics.FEEDBACK_LABELER_STATS, s -> !s.isEmpty(), Duration.ofSeconds(30));
    assertThat(stats.stream().map(LabelerStats::getLabeler).collect(Collectors.toSet()))
        .contains(labeler);

    String metrics =
        http.send(
                HttpRequest.newBuilder(
                        URI.create("http://localhost:" + service.port() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics)
        .contains(
            "refinery_feedback_requests_seconds_count{endpoint=\"label-studio\",status=\"200\"}");
    assertThat(metrics).contains("refinery_feedback_pairs_total{origin=\"HUMAN\"}");

    // deletions in the tools retract exactly those labels' pairs: Label Studio names the
    // annotation alone (the joiner's label index finds its sample), Argilla the response
    HttpResponse<String> lsDeleted =
        labelStudio(
            parse(
                """
                {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 23}],
                 "project": {"id": 3, "title": "RLHF ranking"}}
                """));
    assertThat(lsDeleted.statusCode()).as(lsDeleted.body()).isEqualTo(200);
    assertThat(json(lsDeleted).get("deleted").get(0).asText()).isEqualTo("label-studio:3:23");
    HttpResponse<String> argillaDeleted =
        argilla(
            ("{\"type\": \"response.deleted\", \"version\": 1, \"timestamp\": \""
                    + java.time.Instant.now()
                    + "\", \"data\": {\"id\": \"4c1d2a9e-7f3b-4d55-9a0e-2b6f1c8d7e90\"}}")
                .getBytes(StandardCharsets.UTF_8),
            ARGILLA_KEY);
    assertThat(argillaDeleted.statusCode()).as(argillaDeleted.body()).isEqualTo(200);
    Set<String> afterDeletions =
        Set.of("label:label-studio:2:17/a1>a2", "rbrm:s-rank-1:allowed-request@1/c1>c2");
    kafka.await(
        Topics.FEEDBACK_RM_PAIRS,
        records -> current(records).equals(afterDeletions),
        Duration.ofSeconds(60));
    assertThat(
            RewardPairs.read(
                    dev.refinery.runtime.config.KafkaClients.of(kafka.bootstrapServers()), n -> {})
                .current(EnumSet.allOf(PairOrigin.class)))
        .as("the export after the deletions")
        .hasSize(2);
  }

  /** Each bad request: its status, the field it names, and nothing of it on the topics. */
  void refusalsWriteNothing() throws Exception {
    ObjectNode unknown = (ObjectNode) Fixtures.json("label-studio-pairwise-created.json");
    ((ObjectNode) unknown.get("task").get("data")).put("sample_id", "no-such-sample");
    HttpResponse<String> r = labelStudio(unknown);
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(json(r).get("field").asText()).isEqualTo("task.data.sample_id");

    r =
        argilla(
            Fixtures.bytes("argilla-response-created.json"),
            "whsec_"
                + Base64.getEncoder()
                    .encodeToString("not-the-argilla-key-0123456789ab".getBytes()));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(json(r).get("field").asText()).isEqualTo("webhook-signature");

    r = post("/v1/webhooks/argilla", Fixtures.bytes("argilla-response-created.json"), Map.of());
    assertThat(r.statusCode()).isEqualTo(401);

    byte[] big = new byte[70_000];
    java.util.Arrays.fill(big, (byte) ' ');
    r = post("/v1/labels", big, Map.of("Authorization", "Bearer " + TOKEN));
    assertThat(r.statusCode()).isEqualTo(413);

    r = post("/v1/labels", "{\"label_id\":", TOKEN);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("error").asText()).contains("not JSON");

    r = post("/v1/labels", "[]", null);
    assertThat(r.statusCode()).isEqualTo(401);
    r = post("/v1/labels", "[]", "wrong-token-0123456789");
    assertThat(r.statusCode()).isEqualTo(401);
    r = post("/v1/labels", "[]", RBRM_ONLY);
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(json(r).get("error").asText()).contains("lacks scope labels");

    // one good and one bad label: neither is written
    r =
        post(
            "/v1/labels",
            """
        [{"label_id":"good1","sample_id":"s-native","labeler":"bob","chosen":"x","rejected":"y"},
         {"label_id":"bad1","sample_id":"s-native","labeler":"bob","chosen":"x","rejected":"zz"}]
        """,
            TOKEN);
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(json(r).get("field").asText()).isEqualTo("[1].ranking[1][0]");

    r =
        post(
            "/v1/rbrm",
            "{\"sample_id\":\"s-native\",\"completion_id\":\"x\",\"rubric_id\":\"refusal-style\",\"rubric_version\":\"9\",\"class\":\"A\",\"judge\":\"j\"}",
            TOKEN);
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(json(r).get("field").asText()).isEqualTo("rubric_id");

    r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + service.port() + "/v1/labels"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(405);
  }

  static Set<String> current(List<RewardModelPair> records) {
    RewardPairs pairs = new RewardPairs();
    records.forEach(pairs::add);
    return pairs.current(EnumSet.allOf(PairOrigin.class)).stream()
        .map(RewardModelPair::getPairId)
        .collect(Collectors.toSet());
  }

  static JsonNode parse(String line) {
    try {
      return Fixtures.JSON.readTree(line);
    } catch (Exception e) {
      throw new AssertionError(line, e);
    }
  }
}
