package dev.refinery.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.refinery.metrics.MetricsHttp;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
public final class ConsoleServer implements AutoCloseable {
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
  private final ExecutorService executor;
  private volatile List<ScalingPoints.Point> imported = List.of();

  private ConsoleServer(ConsoleConfig config, PipelineView view, StageVitals vitals)
      throws IOException {
    this.config = config;
    this.view = view;
    this.vitals = vitals;
    this.server = MetricsHttp.server(config.httpPort(), 64);
    this.executor = Executors.newFixedThreadPool(4, r -> new Thread(r, "console-http"));
    server.setExecutor(executor);
    server.createContext("/", this::page);
    server.createContext("/vendor/echarts.min.js", e -> resource(e, ECHARTS, "text/javascript"));
    server.createContext("/api/snapshot", e -> json(e, 200, snapshot()));
    server.createContext("/api/health", this::health);
    server.createContext("/api/scaling", this::scaling);
    PrometheusMeterRegistry registry = MetricsHttp.registry();
    for (String[] g : new String[][] {{"raw", "0"}, {"clean", "1"}, {"rejected", "2"}}) {
      int i = Integer.parseInt(g[1]);
      Gauge.builder("refinery.console.documents", view, v -> v.totals()[i])
          .description("Documents the console has read, by topic")
          .tag("topic", g[0])
          .register(registry);
    }
    MetricsHttp.register(
        server,
        registry,
        () -> new MetricsHttp.Health(true, Map.of("kafka", config.bootstrapServers())));
  }

  /** Starts reading the topics, sampling the stages and serving the pages. */
  public static ConsoleServer start(ConsoleConfig config) throws IOException {
    PipelineView view = new PipelineView(config.bootstrapServers(), config.examples()).start();
    StageVitals vitals = new StageVitals(config).start();
    try {
      ConsoleServer server = new ConsoleServer(config, view, vitals);
      server.server.start();
      LOG.info("console on port {}", server.port());
      return server;
    } catch (IOException | RuntimeException e) {
      view.close();
      vitals.close();
      throw e;
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The whole snapshot the dashboard shows. */
  public ObjectNode snapshot() {
    ObjectNode out = view.snapshot();
    out.set("throughput", vitals.throughput());
    out.set("lag", vitals.lag());
    out.set("health", vitals.health());
    out.put("refresh_ms", config.refreshMs());
    out.put("at", java.time.Instant.now().toString());
    return out;
  }

  private void page(HttpExchange exchange) throws IOException {
    String file = PAGES.get(exchange.getRequestURI().getPath());
    if (file == null) {
      json(
          exchange,
          404,
          JSON.createObjectNode().put("error", "no page " + exchange.getRequestURI().getPath()));
      return;
    }
    String type =
        file.endsWith(".html")
            ? "text/html; charset=utf-8"
            : file.endsWith(".css") ? "text/css" : "text/javascript";
    resource(exchange, "dev/refinery/console/web/" + file, type);
  }

  private void health(HttpExchange exchange) throws IOException {
    ObjectNode health = vitals.health();
    json(exchange, 200, health);
  }

  private void scaling(HttpExchange exchange) throws IOException {
    try {
      if (exchange.getRequestURI().getPath().equals("/api/scaling/points")) {
        if (!exchange.getRequestMethod().equals("POST")) {
          json(exchange, 405, JSON.createObjectNode().put("error", "POST a CSV of runs"));
          return;
        }
        byte[] body = exchange.getRequestBody().readNBytes(8 * 1024 * 1024 + 1);
        if (body.length > 8 * 1024 * 1024) {
          json(exchange, 413, JSON.createObjectNode().put("error", "the CSV is over 8 MiB"));
          return;
        }
        List<ScalingPoints.Point> points =
            ScalingPoints.parse(new String(body, StandardCharsets.UTF_8));
        imported = List.copyOf(points);
        json(exchange, 200, JSON.createObjectNode().put("runs", points.size()));
        return;
      }
      Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
      String source = q.getOrDefault("source", imported.isEmpty() ? "runs" : "csv");
      List<ScalingPoints.Point> runs =
          switch (source) {
            case "runs" -> view.runPoints();
            case "csv" -> imported;
            default ->
                throw new IllegalArgumentException("source '" + source + "' is not runs or csv");
          };
      if (runs.isEmpty()) {
        json(
            exchange,
            404,
            JSON.createObjectNode()
                .put(
                    "error",
                    source.equals("runs")
                        ? "no completed runs with a parameter count on trainer.metrics.v1 (report values.params); or import a CSV: POST /api/scaling/points"
                        : "no runs imported: POST a CSV to /api/scaling/points"));
        return;
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
      json(exchange, 422, JSON.createObjectNode().put("error", e.getMessage()));
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

  static Map<String, String> query(String raw) {
    Map<String, String> q = new HashMap<>();
    if (raw != null) {
      for (String part : raw.split("&")) {
        int eq = part.indexOf('=');
        String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
        q.put(k, eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return q;
  }

  private static void resource(HttpExchange exchange, String path, String type) throws IOException {
    try (exchange;
        InputStream in = ConsoleServer.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        byte[] body = ("missing resource " + path).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(500, body.length);
        exchange.getResponseBody().write(body);
        return;
      }
      byte[] body = in.readAllBytes();
      exchange.getResponseHeaders().add("Content-Type", type);
      exchange
          .getResponseHeaders()
          .add("Cache-Control", path.contains("echarts") ? "max-age=86400" : "no-cache");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  private static void json(HttpExchange exchange, int status, JsonNode body) throws IOException {
    try (exchange) {
      byte[] bytes = JSON.writeValueAsBytes(body);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.getResponseHeaders().add("Cache-Control", "no-cache");
      exchange.sendResponseHeaders(status, bytes.length);
      exchange.getResponseBody().write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    view.close();
    vitals.close();
  }
}
