package dev.refinery.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.runtime.http.Exchange;
import dev.refinery.runtime.http.Health;
import dev.refinery.runtime.http.HttpError;
import dev.refinery.runtime.http.HttpServer;
import dev.refinery.runtime.http.Metrics;
import dev.refinery.runtime.service.Service;
import dev.refinery.scaling.ScalingPoints;
import dev.refinery.scaling.ScalingReport;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console: the dashboard pages, their JSON API, and the console's own {@code /metrics} and
 * {@code /health}.
 *
 * <ul>
 *   <li>{@code GET /} the dashboard; {@code GET /health.html} which stages are up and behind.
 *   <li>{@code GET /api/snapshot}: documents, sources, rejections (by stage and rule, per minute,
 *       recent examples), tokens (by stream, source, licence), runs (loss curves, data wait per
 *       rank), throughput and lag.
 *   <li>{@code GET /api/health}: services up or down, consumer groups and whether they are behind.
 *   <li>{@code GET /api/scaling?source=runs|csv&form=power|chinchilla&target_compute=C
 *       [&target_params=N&target_tokens=D]}: a scaling fit and forecast; {@code POST
 *       /api/scaling/points} (a CSV body) sets the imported runs.
 * </ul>
 */
public final class ConsoleServer implements Service {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String ECHARTS = "META-INF/resources/_static/echarts/6.0.0/dist/echarts.min.js";
  private static final Map<String, String> PAGES =
      Map.of(
          "/", "index.html",
          "/index.html", "index.html",
          "/health.html", "health.html",
          "/console.js", "console.js",
          "/console.css", "console.css");

  private final ConsoleConfig config;
  private final PipelineView view;
  private final StageVitals vitals;
  private final HttpServer server;
  private volatile List<ScalingPoints.Point> imported = List.of();

  private ConsoleServer(ConsoleConfig config, PipelineView view, StageVitals vitals)
      throws IOException {
    this.config = config;
    this.view = view;
    this.vitals = vitals;
    PrometheusMeterRegistry registry = Metrics.registry();
    for (String[] g : new String[][] {{"raw", "0"}, {"clean", "1"}, {"rejected", "2"}}) {
      int i = Integer.parseInt(g[1]);
      Gauge.builder("refinery.console.documents", view, v -> v.totals()[i])
          .description("Documents the console has read, by topic")
          .tag("topic", g[0])
          .register(registry);
    }
    HttpServer.Builder http = HttpServer.builder("console", config.http());
    PAGES.forEach(
        (path, file) ->
            http.resource(path, "dev/refinery/console/web/" + file, type(file), "no-cache"));
    this.server =
        http.resource("/vendor/echarts.min.js", ECHARTS, "text/javascript", "max-age=86400")
            .get(
                "/api/snapshot",
                config.tokens().require("read"),
                e -> json(e, 200, snapshot(config.tokens().allows(e, "originals"))))
            .get("/api/health", config.tokens().require("read"), e -> json(e, 200, vitals.health()))
            .get("/api/scaling", config.tokens().require("read"), this::scaling)
            .post("/api/scaling/points", config.tokens().require("import"), this::points)
            .get(
                "/api/images/{sha256}/thumbnail",
                config.tokens().require("originals"),
                this::thumbnail)
            .metrics(registry, () -> new Health(true, Map.of("kafka", config.bootstrapServers())))
            .start();
  }

  private static String type(String file) {
    return file.endsWith(".html")
        ? "text/html; charset=utf-8"
        : file.endsWith(".css") ? "text/css" : "text/javascript";
  }

  /** Starts reading the topics, sampling the stages and serving the pages. */
  public static ConsoleServer start(ConsoleConfig config) throws IOException {
    PipelineView view = new PipelineView(config.kafka(), config.examples()).start();
    StageVitals vitals = new StageVitals(config).start();
    try {
      ConsoleServer server = new ConsoleServer(config, view, vitals);
      LOG.info("console on port {}", server.port());
      return server;
    } catch (IOException | RuntimeException e) {
      view.close();
      vitals.close();
      throw e;
    }
  }

  public int port() {
    return server.port();
  }

  /** The whole snapshot the dashboard shows. */
  public ObjectNode snapshot() {
    return snapshot(true);
  }

  /**
   * The snapshot; without {@code originals} the rejected documents' original bytes (which can hold
   * the very PII the filters redact) are left out, for a token without the scope to see them.
   */
  ObjectNode snapshot(boolean originals) {
    ObjectNode out = view.snapshot();
    if (!originals && out.path("rejections").path("examples") instanceof ArrayNode examples) {
      for (int i = 0; i < examples.size(); i++) {
        ObjectNode example = (ObjectNode) examples.get(i).deepCopy();
        example.remove("original");
        example.put("original_hidden", "a token with scope originals sees the original bytes");
        examples.set(i, example);
      }
    }
    out.set("throughput", vitals.throughput());
    out.set("lag", vitals.lag());
    out.set("health", vitals.health());
    out.put("refresh_ms", config.refreshMs());
    out.put("at", java.time.Instant.now().toString());
    return out;
  }

  private void points(Exchange exchange) throws HttpError {
    List<ScalingPoints.Point> points;
    try {
      points = ScalingPoints.parse(new String(exchange.body(), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw HttpError.unprocessable(null, e.getMessage());
    }
    imported = List.copyOf(points);
    json(exchange, 200, JSON.createObjectNode().put("runs", points.size()));
  }

  private void scaling(Exchange exchange) throws HttpError {
    try {
      Map<String, String> q = exchange.query();
      String source = q.getOrDefault("source", imported.isEmpty() ? "runs" : "csv");
      List<ScalingPoints.Point> runs =
          switch (source) {
            case "runs" -> view.runPoints();
            case "csv" -> imported;
            default ->
                throw new IllegalArgumentException("source '" + source + "' is not runs or csv");
          };
      if (runs.isEmpty()) {
        throw HttpError.notFound(
            "source",
            source.equals("runs")
                ? "no completed runs with a parameter count on trainer.metrics.v1 (report"
                    + " values.params); or import a CSV: POST /api/scaling/points"
                : "no runs imported: POST a CSV to /api/scaling/points");
      }
      ObjectNode report =
          ScalingReport.fit(
              runs,
              ScalingReport.Form.parse(q.getOrDefault("form", "power")),
              number(q, "target_compute"),
              number(q, "target_params"),
              number(q, "target_tokens"),
              q.containsKey("outlier") ? Double.parseDouble(q.get("outlier")) : 0.05);
      report.put("source", source);
      json(exchange, 200, report);
    } catch (IllegalArgumentException e) {
      throw HttpError.unprocessable(null, e.getMessage());
    }
  }

  private static double number(Map<String, String> q, String name) {
    String v = q.get(name);
    if (v == null || v.isBlank()) {
      return Double.NaN;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + "='" + v + "' is not a number");
    }
  }

  private static void json(Exchange exchange, int status, JsonNode body) {
    exchange.header("Cache-Control", "no-cache");
    exchange.json(status, body);
  }

  @Override
  public String name() {
    return "console";
  }

  @Override
  public boolean ready() {
    return true;
  }

  @Override
  public Health health() {
    return new Health(true, Map.of("kafka", config.bootstrapServers()));
  }

  @Override
  public Map<String, java.net.URI> endpoints() {
    return Map.of("http", server.uri().resolve("/"));
  }

  @Override
  public void close() {
    server.close();
    view.close();
    vitals.close();
    synchronized (this) {
      if (images != null) {
        images.close();
      }
    }
  }

  /** The image store, started on the first thumbnail asked for. */
  private dev.refinery.runtime.images.KafkaImageStore images;

  private synchronized dev.refinery.runtime.images.ImageStore images() {
    if (images == null) {
      images =
          new dev.refinery.runtime.images.KafkaImageStore(
              config.kafka(), "refinery-console", 16L * 1024 * 1024);
    }
    return images;
  }

  /**
   * A thumbnail (PNG, 96 pixels a side at most) of a stored image, by its SHA-256: how the
   * dashboard shows an image refused after ingest (a duplicate, too small), whose bytes are on
   * corpus.images.v1 and not in its rejection. Scope originals, as for rejected bytes.
   */
  private void thumbnail(dev.refinery.runtime.http.Exchange e) throws Exception {
    String sha = e.pathParameter("sha256");
    if (!sha.matches("[0-9a-f]{64}")) {
      throw dev.refinery.runtime.http.HttpError.badRequest(
          "sha256", "not a SHA-256 (64 lower-case hex digits): " + sha);
    }
    dev.refinery.schemas.Image image = images().get(sha, java.time.Duration.ofSeconds(5));
    byte[] png = null;
    if (image != null) {
      java.nio.ByteBuffer data = image.getData().duplicate();
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      png = THUMBNAILS.thumbnail(bytes, 96);
    }
    if (png == null) {
      throw dev.refinery.runtime.http.HttpError.notFound(
          "sha256", "no image " + sha + " on " + dev.refinery.schemas.Topics.CORPUS_IMAGES.name());
    }
    e.send(200, "image/png", png);
  }

  private static final dev.refinery.runtime.images.ImageCheck THUMBNAILS =
      new dev.refinery.runtime.images.ImageCheck(dev.refinery.runtime.images.ImageLimits.DEFAULT);
}
