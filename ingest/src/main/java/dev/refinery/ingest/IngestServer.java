package dev.refinery.ingest;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.refinery.metrics.MetricsHttp;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest HTTP service:
 *
 * <ul>
 *   <li>{@code POST /v1/sources/{source}/documents}: a JSON object, a JSON array of objects, or
 *       NDJSON ({@code Content-Type: application/x-ndjson}), each object mapped like a JSONL line.
 *       The batch is written in one Kafka transaction; the response lists, per document, whether it
 *       was accepted (with its doc id) or rejected (with the reason). 404 for an undeclared source,
 *       413 for a body over {@code ingest.http.max.body.bytes}, 400 for a body that is not JSON,
 *       503 if Kafka did not take the batch (then nothing of it was written: send it again).
 *   <li>{@code GET /metrics}: Prometheus metrics.
 *   <li>{@code GET /health}: 200 when the broker answers, else 503.
 * </ul>
 */
public final class IngestServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IngestServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DOCUMENTS = "/documents";

  private final IngestConfig config;
  private final SourceRegistry sources;
  private final BatchWriter writer;
  private final PrometheusMeterRegistry registry;
  private final IngestMetrics metrics;
  private final Admin admin;
  private final Clock clock;
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicLong requests = new AtomicLong();

  private IngestServer(
      IngestConfig config,
      SourceRegistry sources,
      BatchWriter writer,
      PrometheusMeterRegistry registry,
      Clock clock)
      throws IOException {
    this.config = config;
    this.sources = sources;
    this.writer = writer;
    this.registry = registry;
    this.metrics = new IngestMetrics(registry);
    this.clock = clock;
    this.admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000));
    this.server = MetricsHttp.server(config.httpPort(), 64);
    this.executor = Executors.newFixedThreadPool(4, r -> new Thread(r, "ingest-http"));
    server.setExecutor(executor);
    server.createContext("/v1/sources/", this::documents);
    MetricsHttp.register(server, registry, this::health);
  }

  /**
   * Starts the service on {@code ingest.http.port}, writing with transactional id {@code
   * refinery-ingest-http} unless {@code ingest.transactional.id} is set.
   */
  public static IngestServer start(
      IngestConfig config, SourceRegistry sources, PrometheusMeterRegistry registry)
      throws IOException {
    IngestServer server =
        new IngestServer(
            config,
            sources,
            BatchWriter.create(config, "refinery-ingest-http"),
            registry,
            Clock.systemUTC());
    server.server.start();
    LOG.info("ingest HTTP service on port {}", server.port());
    return server;
  }

  /** A registry for {@link #start}: Prometheus, as {@code /metrics} serves it. */
  public static PrometheusMeterRegistry prometheus() {
    return MetricsHttp.registry();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void documents(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!path.endsWith(DOCUMENTS)) {
        reply(
            exchange,
            404,
            error("no such endpoint " + path + "; POST to /v1/sources/{source}/documents"));
        return;
      }
      if (!exchange.getRequestMethod().equals("POST")) {
        exchange.getResponseHeaders().add("Allow", "POST");
        reply(exchange, 405, error("POST a JSON object, a JSON array of objects, or NDJSON"));
        return;
      }
      String name = path.substring("/v1/sources/".length(), path.length() - DOCUMENTS.length());
      SourceDeclaration source;
      try {
        source = sources.get(name);
      } catch (IllegalArgumentException e) {
        reply(exchange, 404, error(e.getMessage()));
        return;
      }
      byte[] body = MetricsHttp.readBody(exchange.getRequestBody(), config.httpMaxBodyBytes());
      if (body == null) {
        reply(
            exchange,
            413,
            error(
                "request body is over "
                    + IngestConfig.HTTP_MAX_BODY_BYTES
                    + "="
                    + config.httpMaxBodyBytes()
                    + " bytes; send smaller batches"));
        return;
      }
      String request = "http:" + requests.incrementAndGet();
      Rejector rejector = new Rejector(source, config, clock);
      List<Parsed> batch;
      try {
        batch = parse(body, contentType(exchange), request, rejector);
      } catch (BadRequest e) {
        reply(exchange, 400, error(e.getMessage()));
        return;
      }
      try {
        writer.write(batch);
      } catch (KafkaException e) {
        LOG.warn("batch {} of {} not written: {}", request, name, e.toString());
        reply(
            exchange,
            503,
            error(
                "Kafka did not take the batch ("
                    + e.getMessage()
                    + "); nothing of it was written: send it again"));
        return;
      }
      reply(exchange, 200, results(source, batch));
    } catch (RuntimeException e) {
      LOG.error("ingest request failed", e);
    }
  }

  /** The records of a body: NDJSON line by line, else one JSON value (an object or an array). */
  private List<Parsed> parse(byte[] body, String contentType, String request, Rejector rejector)
      throws BadRequest {
    JsonlFormat format = new JsonlFormat(config);
    List<Parsed> batch = new ArrayList<>();
    if (contentType.contains("ndjson")
        || contentType.contains("jsonl")
        || contentType.contains("json-seq")) {
      try (LineReader lines =
          new LineReader(new ByteArrayInputStream(body), config.maxDocumentBytes())) {
        for (LineReader.Line line = lines.next(); line != null; line = lines.next()) {
          if (line.bytes().length > 0) {
            batch.add(
                format.parse(line.bytes(), line.length(), request + "#" + batch.size(), rejector));
          }
        }
      } catch (IOException e) {
        throw new BadRequest("cannot read the body: " + e.getMessage());
      }
      return batch;
    }
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JacksonException e) {
      throw new BadRequest(
          "body is not JSON ("
              + e.getOriginalMessage()
              + "); send a JSON object, an "
              + "array of objects, or NDJSON with Content-Type: application/x-ndjson");
    } catch (IOException e) {
      throw new BadRequest("cannot read the body: " + e.getMessage());
    }
    if (root == null) {
      throw new BadRequest("empty body");
    }
    List<JsonNode> elements = new ArrayList<>();
    if (root.isArray()) {
      root.forEach(elements::add);
    } else {
      elements.add(root);
    }
    for (JsonNode element : elements) {
      byte[] original = element.toString().getBytes(StandardCharsets.UTF_8);
      String location = request + "#" + batch.size();
      batch.add(
          original.length > config.maxDocumentBytes()
              ? format.parse(original, original.length, location, rejector)
              : format.parse(element, original, location, rejector));
    }
    return batch;
  }

  private ObjectNode results(SourceDeclaration source, List<Parsed> batch) {
    ObjectNode response = JSON.createObjectNode();
    response.put("source", source.name());
    response.put("stream", source.stream());
    ArrayNode results = response.putArray("results");
    int accepted = 0;
    int rejected = 0;
    for (int i = 0; i < batch.size(); i++) {
      ObjectNode result = results.addObject();
      result.put("index", i);
      if (batch.get(i) instanceof Parsed.Accepted a) {
        result.put("status", "accepted");
        result.put("doc_id", a.document().getId());
        accepted++;
      } else if (batch.get(i) instanceof Parsed.Rejected r) {
        result.put("status", "rejected");
        result.put("doc_id", r.rejection().getDocId());
        result.put("reason", r.rejection().getReason());
        result.put("detail", r.rejection().getDetail());
        metrics.rejected(source.name(), r.rejection().getReason(), 1);
        rejected++;
      }
    }
    response.put("accepted", accepted);
    response.put("rejected", rejected);
    metrics.committed(source.name(), accepted, 0, 0);
    return response;
  }

  private MetricsHttp.Health health() {
    try {
      int brokers = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
      return new MetricsHttp.Health(
          true, Map.of("kafka", config.bootstrapServers(), "brokers", brokers));
    } catch (Exception e) {
      return new MetricsHttp.Health(
          false,
          Map.of("kafka", config.bootstrapServers(), "detail", "broker does not answer: " + e));
    }
  }

  private static String contentType(HttpExchange exchange) {
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    return type == null ? "application/json" : type.toLowerCase(Locale.ROOT);
  }

  private static ObjectNode error(String message) {
    ObjectNode error = JSON.createObjectNode();
    error.put("error", message);
    return error;
  }

  private static void reply(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  /** A body that cannot be read as documents. */
  private static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;

    BadRequest(String message) {
      super(message);
    }
  }

  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
    writer.close();
    admin.close();
  }
}
