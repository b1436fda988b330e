package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.console.ConsoleServer;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.Ingestor;
import dev.refinery.runtime.kafka.TopicSnapshot;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The console over the demo corpus: the demo runs through, the pipeline is started again on its
 * broker and stays up, and the console's API must report what the topics hold; then a real headless
 * Chromium loads the dashboard and must find those figures in its tiles and charts, and new ones
 * after more documents arrive.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path work;
  static Pipeline pipeline;
  static ConsoleServer console;

  @BeforeAll
  static void demoThenPipelineAndConsole() throws Exception {
    StringWriter printed = new StringWriter();
    CommandLine cli = Refinery.commandLine();
    cli.setOut(new PrintWriter(printed, true));
    assertThat(cli.execute("demo", "--work-dir", work.toString())).as(printed.toString()).isZero();

    Map<String, String> defaults = new HashMap<>(DemoCorpus.SOURCES);
    defaults.put("broker.port", "0");
    defaults.put("dedup.http.port", "-1");
    defaults.put("tokenizer.metrics.port", "-1");
    defaults.put("tokenizer.flush.idle.ms", "1000");
    defaults.put("tokenizer.checkpoint.interval.ms", "1000");
    defaults.put("console.http.port", "0");
    defaults.put("console.refresh.ms", "500");
    Settings settings = new Settings(work, null, Map.of(), Map.of()).withDefaults(defaults);
    pipeline = Pipeline.start(settings, true, new PrintWriter(new StringWriter()));
    console = ConsoleServer.start(pipeline.settings().console());
    token = pipeline.settings().console().tokens().all().get("local").secret();
  }

  @AfterAll
  static void stop() {
    if (console != null) {
      console.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
  }

  /** The console's generated local token (every scope), as `refinery up` prints it. */
  static String token;

  static JsonNode api(String path) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + console.port() + path))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  /** What the topics hold now: records of the corpus topics and span tokens per stream. */
  static Map<String, Long> topics() {
    Map<String, Long> counts = new TreeMap<>();
    String kafka = pipeline.bootstrapServers();
    Duration t = Duration.ofSeconds(60);
    counts.put("raw", (long) TopicSnapshot.read(kafka, Topics.CORPUS_RAW, t).size());
    counts.put("clean", (long) TopicSnapshot.read(kafka, Topics.CORPUS_CLEAN, t).size());
    counts.put("rejected", (long) TopicSnapshot.read(kafka, Topics.CORPUS_REJECTED, t).size());
    for (String stream : pipeline.settings().streams()) {
      long tokens = 0;
      for (TopicSnapshot.Entry<TokenBatch> e :
          TopicSnapshot.read(kafka, Topics.tokens(stream), t)) {
        for (DocumentSpan s : e.value().getSpans()) {
          tokens += s.getLength();
        }
      }
      counts.put("tokens." + stream, tokens);
    }
    return counts;
  }

  static Map<String, Long> reported(JsonNode snapshot) {
    Map<String, Long> counts = new TreeMap<>();
    counts.put("raw", snapshot.at("/documents/raw").asLong());
    counts.put("clean", snapshot.at("/documents/clean").asLong());
    counts.put("rejected", snapshot.at("/documents/rejected").asLong());
    for (JsonNode s : snapshot.at("/tokens/by_stream")) {
      counts.put("tokens." + s.get("stream").asText(), s.get("tokens").asLong());
    }
    return counts;
  }

  static Map<String, Long> awaitAgreement() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Map<String, Long> truth = topics();
    while (true) {
      Map<String, Long> seen = reported(api("/api/snapshot"));
      if (seen.equals(truth)) {
        return truth;
      }
      assertThat(System.nanoTime())
          .as("console reports %s, topics hold %s", seen, truth)
          .isLessThan(deadline);
      Thread.sleep(300);
      truth = topics();
    }
  }

  @Test
  @Order(1)
  void theApiReportsWhatTheTopicsHold() throws Exception {
    Map<String, Long> truth = awaitAgreement();
    assertThat(truth.get("raw")).isGreaterThan(1000);
    assertThat(truth.get("tokens.web")).isPositive();

    JsonNode snapshot = api("/api/snapshot");
    long byRule = 0;
    for (JsonNode r : snapshot.at("/rejections/by_rule")) {
      byRule += r.get("count").asLong();
    }
    assertThat(byRule).isEqualTo(truth.get("rejected"));
    assertThat(snapshot.at("/rejections/examples")).isNotEmpty();
    assertThat(snapshot.at("/tokens/by_licence").size()).isGreaterThanOrEqualTo(2);
    long tokensBySource = 0;
    for (JsonNode n : snapshot.at("/tokens/by_source")) {
      tokensBySource += n.asLong();
    }
    assertThat(tokensBySource)
        .isEqualTo(
            truth.entrySet().stream()
                .filter(e -> e.getKey().startsWith("tokens."))
                .mapToLong(Map.Entry::getValue)
                .sum());
    // the demo's images: counted by source, and the refused ones shown as thumbnails
    assertThat(snapshot.at("/images/by_source/photos-demo").asLong()).isPositive();
    List<JsonNode> refusedImages = new java.util.ArrayList<>();
    snapshot
        .at("/rejections/examples")
        .forEach(
            e -> {
              if (e.has("image_index")) {
                refusedImages.add(e);
              }
            });
    assertThat(refusedImages)
        .extracting(e -> e.get("reason").asText())
        .contains("IMAGE_CORRUPT", "IMAGE_TOO_SMALL");
    // refused at ingest: its kept bytes, drawn; refused later: the stored image, drawn on request
    for (JsonNode e : refusedImages) {
      if (e.get("reason").asText().equals("IMAGE_CORRUPT")) {
        assertThat(e.get("original").asText()).startsWith("data:image/png;base64,");
        continue;
      }
      HttpResponse<byte[]> png =
          HTTP.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://localhost:"
                              + console.port()
                              + "/api/images/"
                              + e.get("image_sha256").asText()
                              + "/thumbnail"))
                  .header("Authorization", "Bearer " + token)
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(png.statusCode()).isEqualTo(200);
      java.awt.image.BufferedImage drawn =
          javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png.body()));
      assertThat(Math.max(drawn.getWidth(), drawn.getHeight())).isLessThanOrEqualTo(96);
    }
    // the consumer groups of the running stages, caught up
    JsonNode health = api("/api/health");
    List<String> groups = health.get("groups").findValuesAsText("group");
    assertThat(groups).contains("refinery-dedup-filter");
  }

  @Test
  @Order(2)
  void theApiAsksForATokenAndShowsOriginalBytesOnlyToTheirScope() throws Exception {
    try (ConsoleServer scoped =
        ConsoleServer.start(
            new dev.refinery.console.ConsoleConfig(
                Map.of(
                    "bootstrap.servers", pipeline.bootstrapServers(),
                    "console.http.port", "0",
                    "console.token.viewer", "read:a-viewer-token-of-the-test",
                    "console.token.ops", "read,originals:an-ops-token-of-the-test")))) {
      String base = "http://127.0.0.1:" + scoped.port();
      java.util.function.BiFunction<String, String, HttpResponse<String>> get =
          (path, bearer) -> {
            HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path));
            if (bearer != null) {
              r.header("Authorization", "Bearer " + bearer);
            }
            try {
              return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          };
      assertThat(get.apply("/api/snapshot", null).statusCode()).isEqualTo(401);
      assertThat(get.apply("/api/health", "wrong-token-of-no-one").statusCode()).isEqualTo(401);
      // the pages themselves hold no data: they load without a token, then ask the API with one
      assertThat(get.apply("/", null).statusCode()).isEqualTo(200);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      JsonNode viewer;
      do {
        assertThat(System.nanoTime()).as("rejections read in time").isLessThan(deadline);
        Thread.sleep(200);
        HttpResponse<String> r = get.apply("/api/snapshot", "a-viewer-token-of-the-test");
        assertThat(r.statusCode()).isEqualTo(200);
        viewer = JSON.readTree(r.body()).path("rejections").path("examples");
      } while (viewer.isEmpty());
      assertThat(viewer.get(0).has("original")).isFalse();
      assertThat(viewer.get(0).has("original_hidden")).isTrue();
      JsonNode ops =
          JSON.readTree(get.apply("/api/snapshot", "an-ops-token-of-the-test").body())
              .path("rejections")
              .path("examples");
      assertThat(ops.get(0).has("original")).isTrue();
    }
  }

  @Test
  @Order(2)
  void scalingFitsThroughTheApi() throws Exception {
    StringBuilder csv = new StringBuilder("run,compute,loss\n");
    for (int i = 0; i < 12; i++) {
      double c = 1e18 * Math.pow(10, i / 3.0);
      csv.append("r")
          .append(i)
          .append(',')
          .append(c)
          .append(',')
          .append(300 * Math.pow(c, -0.14) + 1.8)
          .append('\n');
    }
    HttpResponse<String> imported =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://localhost:" + console.port() + "/api/scaling/points"))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(csv.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
    JsonNode fit = api("/api/scaling?source=csv&form=power&target_compute=1e23");
    double truth = 300 * Math.pow(1e23, -0.14) + 1.8;
    assertThat(fit.at("/forecast/loss").asDouble()).isBetween(truth * 0.99, truth * 1.01);
    assertThat(fit.at("/parameters/b/value").asDouble()).isBetween(-0.15, -0.13);

    HttpResponse<String> bad =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://localhost:" + console.port() + "/api/scaling/points"))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString("run,compute,loss\nx,abc,2\n"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(422);
    assertThat(bad.body()).contains("line 2").contains("'abc' is not a number");
  }

  @Test
  @Order(3)
  void trainingRunsOnTheMetricsTopicAreChartedAndFitted() throws Exception {
    // five small runs, two ranks each, reporting their parameter count; final losses on a power law
    try (org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> producer =
        new org.apache.kafka.clients.producer.KafkaProducer<>(
            Map.of("bootstrap.servers", pipeline.bootstrapServers()),
            new org.apache.kafka.common.serialization.StringSerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      for (int r = 0; r < 5; r++) {
        double params = 1e7 * Math.pow(4, r);
        for (int step = 0; step <= 20; step++) {
          for (int rank = 0; rank < 2; rank++) {
            long tokens = (long) (params * 20 / 2 * (step + 1) / 21.0);
            double compute = 6 * params * tokens * 2;
            dev.refinery.schemas.TrainerMetric m =
                dev.refinery.schemas.TrainerMetric.newBuilder()
                    .setRunId("small-" + r)
                    .setRank(rank)
                    .setStep(step)
                    .setLoss(2e2 * Math.pow(compute, -0.12) + 1.9)
                    .setTokensSeen(tokens)
                    .setLearningRate(3e-4)
                    .setStepTimeMs(100.0)
                    .setDataWaitMs(rank == 0 ? 1.0 : 4.0)
                    .setRecordedAt(java.time.Instant.now())
                    .setValues(Map.of("params", params))
                    .build();
            producer.send(
                new org.apache.kafka.clients.producer.ProducerRecord<>(
                    Topics.TRAINER_METRICS.name(),
                    m.getRunId(),
                    Topics.TRAINER_METRICS.serialize(m)));
          }
        }
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    JsonNode runs = api("/api/snapshot").get("runs");
    while (runs.size() < 5 || runs.get(4).get("step").asLong() < 20) {
      assertThat(System.nanoTime()).as("runs on the console").isLessThan(deadline);
      Thread.sleep(300);
      runs = api("/api/snapshot").get("runs");
    }
    JsonNode first = runs.get(0);
    assertThat(first.get("curve")).hasSize(21);
    assertThat(first.get("ranks").get(1).get("data_wait_fraction").asDouble())
        .isCloseTo(0.04, org.assertj.core.api.Assertions.within(1e-9));
    JsonNode fit = api("/api/scaling?source=runs&form=power");
    assertThat(fit.get("runs").asInt()).isEqualTo(5);
    double target = fit.at("/forecast/compute").asDouble();
    double truth = 2e2 * Math.pow(target, -0.12) + 1.9;
    assertThat(fit.at("/forecast/loss").asDouble()).isBetween(truth * 0.98, truth * 1.02);
  }

  @Test
  @Order(4)
  void headlessChromiumSeesTheLiveFiguresInTheCharts() throws Exception {
    String chromium = chromium();
    Assumptions.assumeTrue(
        chromium != null, "Debian's chromium is not installed (apt-get install chromium)");
    Map<String, Long> truth = awaitAgreement();
    Path shots = Path.of("target", "console");
    Files.createDirectories(shots);
    String dom = render(chromium, shots.resolve("console.png"));
    assertThat(shots.resolve("console.png")).isNotEmptyFile();
    assertThat(dom).contains("data-kpi=\"raw\" data-value=\"" + truth.get("raw") + "\"");
    assertThat(dom).contains("data-kpi=\"rejected\" data-value=\"" + truth.get("rejected") + "\"");
    // the token chart is SVG: its bar labels are the streams' token counts
    assertThat(dom).contains(String.format(java.util.Locale.ROOT, "%,d", truth.get("tokens.web")));
    assertThat(dom).contains("<svg");

    // more documents arrive: the page shows the new figures
    Path more = work.resolve("more.jsonl");
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      lines
          .append("{\"id\":\"live-")
          .append(i)
          .append("\",\"url\":\"https://example.com/live/")
          .append(i)
          .append("\",\"text\":\"Live document number ")
          .append(i)
          .append(". ")
          .append(
              "The river ran past the old mill while the town slept, and the baker lit the ovens before dawn. "
                  .repeat(20))
          .append("\"}\n");
    }
    Files.writeString(more, lines, StandardCharsets.UTF_8);
    try (Ingestor ingestor =
        Ingestor.create(
            pipeline.settings().ingest(), "console-it-live", IngestMetrics.inMemory())) {
      ingestor.ingest(more, pipeline.settings().sources().get("cc-demo"));
    }
    Map<String, Long> after = awaitAgreement();
    assertThat(after.get("raw")).isEqualTo(truth.get("raw") + 20);
    String again = render(chromium, shots.resolve("console-after.png"));
    assertThat(again).contains("data-kpi=\"raw\" data-value=\"" + after.get("raw") + "\"");
  }

  /** The dashboard as headless Chromium renders it after its scripts ran: DOM and a screenshot. */
  static String render(String chromium, Path screenshot) throws Exception {
    String url = "http://localhost:" + console.port() + "/#token=" + token;
    List<String> common =
        List.of(
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1400,2600",
            "--virtual-time-budget=6000");
    run(concat(common, "--screenshot=" + screenshot.toAbsolutePath(), url));
    return run(concat(common, "--dump-dom", url));
  }

  static List<String> concat(List<String> a, String... more) {
    List<String> all = new java.util.ArrayList<>(a);
    all.addAll(List.of(more));
    return all;
  }

  static String run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
    return out;
  }

  static String chromium() {
    for (String c :
        List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
      if (Files.isExecutable(Path.of(c))) {
        return c;
      }
    }
    return null;
  }
}
