package dev.refinery.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Every Refinery service's {@code GET /metrics} (Prometheus text format) and {@code GET /health}
 * (200 when healthy, 503 when not, a small JSON body either way), on the JDK's HTTP server.
 */
public final class MetricsHttp implements AutoCloseable {
  /** What {@code /health} reports. */
  public record Health(boolean up, Map<String, Object> details) {}

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsHttp(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** A Prometheus registry, as {@code /metrics} serves it. */
  public static PrometheusMeterRegistry registry() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  /** Serves {@code /metrics} and {@code /health} on a port of their own (0 picks a free one). */
  public static MetricsHttp start(
      int port, PrometheusMeterRegistry registry, Supplier<Health> health) throws IOException {
    HttpServer server = server(port, 16);
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> new Thread(r, "metrics-http"));
    server.setExecutor(executor);
    register(server, registry, health);
    server.start();
    return new MetricsHttp(server, executor);
  }

  /**
   * A JDK HTTP server on the port (0 picks a free one) with TCP_NODELAY on its connections: without
   * it, a response whose headers and body go out in two writes waits for the client's delayed ACK
   * (about 40 ms on Linux) on every request of a kept-alive connection.
   */
  public static HttpServer server(int port, int backlog) throws IOException {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    return HttpServer.create(new InetSocketAddress(port), backlog);
  }

  /**
   * A request body, or {@code null} if it is longer than {@code max} (the rest is read and dropped,
   * so the connection stays usable).
   */
  public static byte[] readBody(java.io.InputStream in, int max) throws IOException {
    byte[] body = in.readNBytes(max + 1);
    if (body.length > max) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return null;
    }
    return body;
  }

  /** Adds {@code /metrics} and {@code /health} to a server that has other endpoints too. */
  public static void register(
      HttpServer server, PrometheusMeterRegistry registry, Supplier<Health> health) {
    server.createContext("/metrics", exchange -> metrics(exchange, registry));
    server.createContext("/health", exchange -> health(exchange, health));
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Serves another endpoint beside {@code /metrics} and {@code /health}. */
  public void handle(String path, com.sun.net.httpserver.HttpHandler handler) {
    server.createContext(path, handler);
  }

  private static void metrics(HttpExchange exchange, PrometheusMeterRegistry registry)
      throws IOException {
    try (exchange) {
      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  private static void health(HttpExchange exchange, Supplier<Health> health) throws IOException {
    try (exchange) {
      Health h;
      try {
        h = health.get();
      } catch (RuntimeException e) {
        h = new Health(false, Map.of("error", e.toString()));
      }
      StringBuilder json =
          new StringBuilder("{\"status\":\"").append(h.up() ? "UP" : "DOWN").append('"');
      h.details()
          .forEach(
              (k, v) ->
                  json.append(",\"")
                      .append(escape(k))
                      .append("\":")
                      .append(
                          v instanceof Number || v instanceof Boolean
                              ? v.toString()
                              : "\"" + escape(String.valueOf(v)) + "\""));
      byte[] body = json.append("}\n").toString().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(h.up() ? 200 : 503, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
