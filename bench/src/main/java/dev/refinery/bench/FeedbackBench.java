package dev.refinery.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.feedback.FeedbackConfig;
import dev.refinery.feedback.FeedbackService;
import dev.refinery.infra.EmbeddedKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Labels per second through the feedback gateway on loopback, with request latency, on an embedded
 * broker: first Label Studio webhooks of one pairwise annotation each (as Label Studio sends them),
 * from {@code --clients} concurrent senders; then the native API with {@code --batch} labels a
 * request. Every label is checked against its sample, pseudonymized and committed in a Kafka
 * transaction before the gateway answers; the joiner turns them into pairs meanwhile, and the time
 * until the last pair is on feedback.rm-pairs.v1 is reported too.
 */
public final class FeedbackBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "bench-token-0123456789abcdef";

  private FeedbackBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    Path work = Path.of(options.getOrDefault("work-dir", ".refinery/bench"));
    int labels = Integer.parseInt(options.getOrDefault("labels", "20000"));
    int clients = Integer.parseInt(options.getOrDefault("clients", "16"));
    int batch = Integer.parseInt(options.getOrDefault("batch", "100"));
    int samples = 1000;
    Path run = work.resolve("feedback-" + System.nanoTime());
    Files.createDirectories(run);
    EmbeddedKafka kafka = EmbeddedKafka.startEphemeral(run.resolve("kafka"));
    FeedbackService service = null;
    try {
      String bootstrap = kafka.bootstrapServers();
      BenchKafka.provision(bootstrap);
      Map<String, Object> settings = new HashMap<>();
      settings.put("bootstrap.servers", bootstrap);
      settings.put(FeedbackConfig.HTTP_PORT, "0");
      settings.put(FeedbackConfig.PSEUDONYM_KEY, "bench-pseudonym-key-0123456789");
      settings.put(FeedbackConfig.STATE_DIR, run.resolve("state").toString());
      settings.put(FeedbackConfig.TOKEN_PREFIX + "bench", "samples,labels,label-studio:" + TOKEN);
      service = FeedbackService.start(new FeedbackConfig(settings));
      service.awaitReady(Duration.ofSeconds(60));
      String base = "http://localhost:" + service.port();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

      ArrayNode sampleBody = JSON.createArrayNode();
      for (int s = 0; s < samples; s++) {
        ObjectNode sample =
            sampleBody.addObject().put("sample_id", "s" + s).put("prompt", "prompt number " + s);
        ArrayNode completions = sample.putArray("completions");
        completions
            .addObject()
            .put("completion_id", "a")
            .put("text", "first answer to " + s)
            .put("model", "policy");
        completions
            .addObject()
            .put("completion_id", "b")
            .put("text", "second answer to " + s)
            .put("model", "policy");
      }
      check(
          post(http, base + "/v1/samples", JSON.writeValueAsBytes(sampleBody), "Bearer " + TOKEN));
      System.out.printf(
          Locale.ROOT, "%,d samples of 2 completions; %d senders on loopback%n", samples, clients);

      // warm-up: JIT, connections, the first transactions
      send(http, base, Math.min(2000, labels / 4), clients, 1, "warm", samples);
      Result floor = send(http, base, labels, clients, 1, "floor", samples);
      System.out.printf(
          Locale.ROOT,
          "same deliveries, acknowledged unwritten:   %,8.0f requests/s p50 %6.2f ms   p99 %6.2f ms   (HTTP and parsing alone)%n",
          floor.labelsPerSecond,
          floor.p50Ms,
          floor.p99Ms);
      Result hooks = send(http, base, labels, clients, 1, "ls", samples);
      System.out.printf(
          Locale.ROOT,
          "label studio webhooks, 1 label a request:  %,8.0f labels/s   p50 %6.2f ms   p99 %6.2f ms   (%,d requests)%n",
          hooks.labelsPerSecond,
          hooks.p50Ms,
          hooks.p99Ms,
          hooks.requests);
      Result batched = send(http, base, labels, clients, batch, "native", samples);
      System.out.printf(
          Locale.ROOT,
          "native API, %d labels a request:          %,8.0f labels/s   p50 %6.2f ms   p99 %6.2f ms   (%,d requests)%n",
          batch,
          batched.labelsPerSecond,
          batched.p50Ms,
          batched.p99Ms,
          batched.requests);
      long t0 = System.nanoTime();
      double expected = Math.min(2000, labels / 4) + 2.0 * labels;
      while (service.metrics() != null && pairs(http, base) < expected) {
        if (System.nanoTime() - t0 > Duration.ofMinutes(2).toNanos()) {
          break;
        }
        Thread.sleep(50);
      }
      http.send(
              HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body()
          .lines()
          .filter(l -> l.startsWith("refinery_feedback_transaction"))
          .forEach(System.out::println);
      System.out.printf(
          Locale.ROOT,
          "joiner: %,.0f of %,.0f labels paired %.2f s after the last request was answered%n",
          pairs(http, base),
          expected,
          (System.nanoTime() - t0) / 1e9);
    } finally {
      if (service != null) {
        service.close();
      }
      kafka.close();
      BenchKafka.deleteRecursively(run);
    }
  }

  private record Result(double labelsPerSecond, double p50Ms, double p99Ms, int requests) {}

  private static Result send(
      HttpClient http, String base, int labels, int clients, int batch, String prefix, int samples)
      throws Exception {
    int requests = (labels + batch - 1) / batch;
    ConcurrentCalls.Timing t =
        ConcurrentCalls.run(
            requests,
            clients,
            r -> {
              byte[] body;
              String path;
              String auth;
              if (batch == 1) {
                body = JSON.writeValueAsBytes(labelStudio(prefix, r, samples));
                path = "/v1/webhooks/label-studio";
                auth = "Token " + TOKEN;
              } else {
                ArrayNode array = JSON.createArrayNode();
                for (int i = r * batch; i < Math.min(labels, (r + 1) * batch); i++) {
                  array
                      .addObject()
                      .put("label_id", prefix + "-" + i)
                      .put("sample_id", "s" + (i % samples))
                      .put("labeler", "labeler-" + (i % 50))
                      .put("chosen", i % 3 == 0 ? "b" : "a")
                      .put("rejected", i % 3 == 0 ? "a" : "b")
                      .put("revision", 1);
                }
                body = JSON.writeValueAsBytes(array);
                path = "/v1/labels";
                auth = "Bearer " + TOKEN;
              }
              return () -> check(post(http, base + path, body, auth));
            });
    return new Result(labels / t.seconds(), t.p50Ms(), t.p99Ms(), requests);
  }

  /** A Label Studio ANNOTATION_CREATED delivery of one pairwise annotation. */
  private static ObjectNode labelStudio(String prefix, int n, int samples) {
    // the floor run sends the same delivery under an action that carries no label
    ObjectNode body =
        JSON.createObjectNode()
            .put("action", prefix.equals("floor") ? "TASKS_CREATED" : "ANNOTATION_CREATED");
    ObjectNode annotation = body.putObject("annotation");
    annotation.put("id", prefix.hashCode() * 1_000_000L + n);
    ObjectNode result = annotation.putArray("result").addObject();
    result.putObject("value").put("selected", n % 3 == 0 ? "right" : "left");
    result
        .put("id", "r" + n)
        .put("from_name", "comparison")
        .put("to_name", "answer1,answer2")
        .put("type", "pairwise");
    String now = Instant.now().toString();
    annotation
        .put("was_cancelled", false)
        .put("ground_truth", false)
        .put("created_at", now)
        .put("updated_at", now);
    annotation.put("lead_time", 12.5).put("task", n).put("completed_by", n % 50);
    ObjectNode task = body.putObject("task").put("id", n).put("project", 7);
    // the answers shown in the order of the sample on two tasks, swapped on the third
    boolean swapped = n % 3 == 2;
    task.putObject("data")
        .put("sample_id", "s" + (n % samples))
        .put("prompt", "prompt number " + (n % samples))
        .put("answer1", (swapped ? "second" : "first") + " answer to " + (n % samples))
        .put("answer2", (swapped ? "first" : "second") + " answer to " + (n % samples));
    body.putObject("project")
        .put("id", 7)
        .put("title", "bench")
        .put(
            "label_config",
            "<View><Text name=\"prompt\" value=\"$prompt\"/>"
                + "<Text name=\"answer1\" value=\"$answer1\"/>"
                + "<Text name=\"answer2\" value=\"$answer2\"/>"
                + "<Pairwise name=\"comparison\" toName=\"answer1,answer2\"/></View>");
    return body;
  }

  private static HttpResponse<String> post(HttpClient http, String url, byte[] body, String auth)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", auth)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void check(HttpResponse<String> response) {
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          "gateway answered " + response.statusCode() + ": " + response.body());
    }
  }

  /** Labels the joiner has paired so far, from its counters on /metrics. */
  private static double pairs(HttpClient http, String base) throws Exception {
    String metrics =
        http.send(
                HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return metrics
        .lines()
        .filter(l -> l.startsWith("refinery_feedback_joined_total{outcome=\"label\"}"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }
}
