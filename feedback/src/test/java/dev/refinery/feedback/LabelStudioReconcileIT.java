package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.schemas.Topics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Label Studio outage followed by reconciliation: the annotation whose webhook was lost while the
 * gateway was down is read back through Label Studio's API (a fake of its documented project and
 * export endpoints on loopback: the real server does not run here) and sent through the webhook
 * path; a second run sends nothing; an annotation deleted in the tool is retracted.
 */
class LabelStudioReconcileIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  static final String TOKEN = "tools-secret-0123456789";
  static final String LS_TOKEN = "label-studio-api-token-0123";
  static final String CONFIG =
      "<View><Text name=\"prompt\" value=\"$prompt\"/>"
          + "<Text name=\"left\" value=\"$text1\"/><Text name=\"right\" value=\"$text2\"/>"
          + "<Pairwise name=\"pw\" toName=\"left,right\"/></View>";

  @TempDir static Path state;
  static FeedbackService service;
  static HttpServer labelStudio;
  static final AtomicInteger unauthorised = new AtomicInteger();

  /** The project's tasks as Label Studio's export gives them. */
  static volatile ArrayNode export = Fixtures.JSON.createArrayNode();

  /** Project 6's, which the service reconciles on its own. */
  static volatile ArrayNode export6 = Fixtures.JSON.createArrayNode();

  @BeforeAll
  static void start() throws Exception {
    Map<String, Object> settings = new HashMap<>();
    settings.put("bootstrap.servers", kafka.bootstrapServers());
    settings.put(FeedbackConfig.HTTP_PORT, "0");
    settings.put(FeedbackConfig.PSEUDONYM_KEY, "it-pseudonym-key-0123456789");
    settings.put(FeedbackConfig.STATE_DIR, state.toString());
    settings.put(FeedbackConfig.COMMIT_INTERVAL_MS, "100");
    settings.put(FeedbackConfig.TOKEN_PREFIX + "tools", "samples,label-studio:" + TOKEN);
    service = FeedbackService.start(new FeedbackConfig(settings));
    service.awaitReady(Duration.ofSeconds(60));

    labelStudio = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    for (String project : new String[] {"5", "6"}) {
      labelStudio.createContext(
          "/api/projects/" + project,
          exchange -> {
            byte[] body;
            int status = 200;
            if (!("Token " + LS_TOKEN)
                .equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
              unauthorised.incrementAndGet();
              status = 401;
              body = "{\"detail\": \"Authentication credentials were not provided.\"}".getBytes();
            } else if (exchange
                .getRequestURI()
                .getPath()
                .equals("/api/projects/" + project + "/export")) {
              body = Fixtures.JSON.writeValueAsBytes(project.equals("5") ? export : export6);
            } else if (exchange.getRequestURI().getPath().equals("/api/projects/" + project)) {
              body =
                  Fixtures.JSON.writeValueAsBytes(
                      Fixtures.JSON
                          .createObjectNode()
                          .put("id", Integer.parseInt(project))
                          .put("title", "pairwise")
                          .put("label_config", CONFIG));
            } else {
              status = 404;
              body = "{}".getBytes();
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
          });
    }
    labelStudio.start();
  }

  @AfterAll
  static void stop() {
    if (labelStudio != null) {
      labelStudio.stop(0);
    }
    if (service != null) {
      service.close();
    }
  }

  /** A task of the export with one pairwise annotation; the sample's answers shown swapped. */
  static ObjectNode task(int task, int annotation, String sample, String selected, String at) {
    ObjectNode t = Fixtures.JSON.createObjectNode().put("id", task).put("project", task / 100);
    t.putObject("data")
        .put("sample_id", sample)
        .put("prompt", "prompt of " + sample)
        .put("text1", "second answer of " + sample)
        .put("text2", "first answer of " + sample);
    ObjectNode a = t.putArray("annotations").addObject();
    a.put("id", annotation)
        .put("completed_by", 4)
        .put("was_cancelled", false)
        .put("ground_truth", false)
        .put("created_at", at)
        .put("updated_at", at)
        .put("lead_time", 9.5);
    ObjectNode result = a.putArray("result").addObject();
    result.put("from_name", "pw").put("to_name", "pw").put("type", "pairwise");
    result.putObject("value").put("selected", selected);
    return t;
  }

  /** The current pairs of project 5 (the other test's service writes project 6's). */
  static Set<String> project5(java.util.List<dev.refinery.schemas.RewardModelPair> records) {
    Set<String> out = new java.util.TreeSet<>(FeedbackIT.current(records));
    out.removeIf(id -> !id.startsWith("label:label-studio:5:"));
    return out;
  }

  static HttpResponse<String> post(String path, byte[] body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + service.port() + path))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void whatTheWebhooksMissedIsSentOnceAndDeletionsAreRetracted() throws Exception {
    StringBuilder samples = new StringBuilder("[");
    for (String s : new String[] {"s-r1", "s-r2"}) {
      samples
          .append(samples.length() > 1 ? "," : "")
          .append("{\"sample_id\":\"")
          .append(s)
          .append("\",\"prompt\":\"prompt of ")
          .append(s)
          .append("\",\"completions\":[{\"completion_id\":\"a\",\"text\":\"first answer of ")
          .append(s)
          .append("\",\"model\":\"m\"},{\"completion_id\":\"b\",\"text\":\"second answer of ")
          .append(s)
          .append("\",\"model\":\"m\"}]}");
    }
    samples.append("]");
    assertThat(
            post("/v1/samples", samples.toString().getBytes(StandardCharsets.UTF_8)).statusCode())
        .isEqualTo(200);

    // the first annotation's webhook arrived; the second's was lost while the gateway was down
    ObjectNode first = task(501, 101, "s-r1", "left", "2026-11-30T10:00:00Z");
    ObjectNode delivered = Fixtures.JSON.createObjectNode().put("action", "ANNOTATION_CREATED");
    ObjectNode annotation = ((ObjectNode) first.get("annotations").get(0)).deepCopy();
    annotation.put("task", 501);
    delivered.set("annotation", annotation);
    ObjectNode bareTask = first.deepCopy();
    bareTask.remove("annotations");
    delivered.set("task", bareTask);
    delivered.putObject("project").put("id", 5).put("label_config", CONFIG);
    HttpResponse<String> webhook =
        post("/v1/webhooks/label-studio", Fixtures.JSON.writeValueAsBytes(delivered));
    assertThat(webhook.statusCode()).as(webhook.body()).isEqualTo(200);
    export = Fixtures.JSON.createArrayNode();
    export.add(first);
    export.add(task(502, 102, "s-r2", "right", "2026-11-30T10:05:00Z"));

    KafkaClients clients = KafkaClients.of(kafka.bootstrapServers());
    LabelStudioReconciler.Sink sink =
        LabelStudioReconciler.gateway(URI.create("http://localhost:" + service.port()), TOKEN);
    LabelStudioReconciler reconciler =
        new LabelStudioReconciler(
            "http://127.0.0.1:" + labelStudio.getAddress().getPort(), LS_TOKEN);
    // the first label must be on the topic before the comparison, as it is after an outage
    kafka.await(
        Topics.FEEDBACK_PREFERENCES,
        l -> l.stream().filter(x -> x.getLabelId().startsWith("label-studio:5:")).count() == 1,
        Duration.ofSeconds(30));

    LabelStudioReconciler.Report report = reconciler.reconcile("5", clients, sink);
    assertThat(report.annotations()).isEqualTo(2);
    assertThat(report.sent()).isEqualTo(1);
    assertThat(report.upToDate()).isEqualTo(1);
    assertThat(report.refused()).isEmpty();
    // left shows b on s-r1; right shows a on s-r2
    Set<String> both = Set.of("label:label-studio:5:101/b>a", "label:label-studio:5:102/a>b");
    kafka.await(
        Topics.FEEDBACK_RM_PAIRS,
        records -> project5(records).equals(both),
        Duration.ofSeconds(60));

    kafka.await(
        Topics.FEEDBACK_PREFERENCES,
        l -> l.stream().filter(x -> x.getLabelId().startsWith("label-studio:5:")).count() == 2,
        Duration.ofSeconds(30));
    LabelStudioReconciler.Report again = reconciler.reconcile("5", clients, sink);
    assertThat(again.sent()).as("a second run sends nothing").isZero();
    assertThat(again.upToDate()).isEqualTo(2);
    assertThat(again.deleted()).isZero();

    // deleted in Label Studio while the webhooks were not heard: the reconciler retracts it
    export = Fixtures.JSON.createArrayNode();
    export.add(task(502, 102, "s-r2", "right", "2026-11-30T10:05:00Z"));
    LabelStudioReconciler.Report deletion = reconciler.reconcile("5", clients, sink);
    assertThat(deletion.deleted()).isEqualTo(1);
    kafka.await(
        Topics.FEEDBACK_RM_PAIRS,
        records -> project5(records).equals(Set.of("label:label-studio:5:102/a>b")),
        Duration.ofSeconds(60));
    assertThat(unauthorised.get()).isZero();
  }

  @Test
  void theServiceReconcilesItsProjectsOnItsOwn() throws Exception {
    String sample =
        "[{\"sample_id\":\"s-p6\",\"prompt\":\"prompt of s-p6\",\"completions\":["
            + "{\"completion_id\":\"a\",\"text\":\"first answer of s-p6\",\"model\":\"m\"},"
            + "{\"completion_id\":\"b\",\"text\":\"second answer of s-p6\",\"model\":\"m\"}]}]";
    assertThat(post("/v1/samples", sample.getBytes(StandardCharsets.UTF_8)).statusCode())
        .isEqualTo(200);
    export6 = Fixtures.JSON.createArrayNode();
    export6.add(task(601, 601, "s-p6", "left", "2026-11-30T11:00:00Z"));
    Map<String, Object> settings = new HashMap<>();
    settings.put("bootstrap.servers", kafka.bootstrapServers());
    settings.put(FeedbackConfig.HTTP_PORT, "0");
    settings.put(FeedbackConfig.PSEUDONYM_KEY, "it-pseudonym-key-0123456789");
    settings.put(FeedbackConfig.STATE_DIR, state.resolve("periodic").toString());
    settings.put(FeedbackConfig.APPLICATION_ID, "refinery-feedback-periodic");
    settings.put(FeedbackConfig.TRANSACTIONAL_ID, "refinery-feedback-gateway-periodic");
    settings.put(FeedbackConfig.TOKEN_PREFIX + "tools", "samples,label-studio:" + TOKEN);
    settings.put(
        FeedbackConfig.LABEL_STUDIO_URL, "http://127.0.0.1:" + labelStudio.getAddress().getPort());
    settings.put(FeedbackConfig.LABEL_STUDIO_API_TOKEN, LS_TOKEN);
    settings.put(FeedbackConfig.RECONCILE_PROJECTS, "6");
    try (FeedbackService periodic = FeedbackService.start(new FeedbackConfig(settings))) {
      // left shows b's text: b over a, taken at startup without any webhook
      kafka.await(
          Topics.FEEDBACK_RM_PAIRS,
          records -> FeedbackIT.current(records).contains("label:label-studio:6:601/b>a"),
          Duration.ofSeconds(60));
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new FeedbackConfig(
                        Map.of(
                            FeedbackConfig.RECONCILE_PROJECTS,
                            "6",
                            FeedbackConfig.PSEUDONYM_KEY,
                            "it-pseudonym-key-0123456789"))
                    .reconcileProjects())
        .hasMessageContaining(FeedbackConfig.LABEL_STUDIO_URL);
  }
}
