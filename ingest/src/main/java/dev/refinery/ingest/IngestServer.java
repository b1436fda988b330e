package dev.refinery.ingest;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
public final class IngestServer implements Service {
  private static final Logger LOG = LoggerFactory.getLogger(IngestServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final IngestConfig config;
  private final SourceRegistry sources;
  private final BatchWriter writer;
  private final PrometheusMeterRegistry registry;
  private final IngestMetrics metrics;
  private final Admin admin;
  private final Clock clock;
  private final HttpServer server;
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
    writer.recordWaitsIn(metrics.httpWriters(writer));
    this.clock = clock;
    this.admin =
        Admin.create(
            config
                .kafka()
                .admin(
                    Map.of(
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000)));
    this.server =
        HttpServer.builder("ingest", config.http())
            .post(
                "/v1/sources/{source}/documents",
                config.tokens().require("documents"),
                this::documents)
            .metrics(registry, this::health)
            .start();
  }

  /**
   * Starts the service on {@code ingest.http.port}, writing with {@code ingest.http.writers}
   * producers, whose transactional ids are {@code refinery-ingest-http} (unless {@code
   * ingest.transactional.id} is set), then the same followed by {@code -1}, {@code -2} and so on.
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
    // what a killed run left open is aborted now, not at the first push or its timeout
    server.writer.start();
    LOG.info("ingest HTTP service on port {}", server.port());
    return server;
  }

  /** A registry for {@link #start}: Prometheus, as {@code /metrics} serves it. */
  public static PrometheusMeterRegistry prometheus() {
    return Metrics.registry();
  }

  public int port() {
    return server.port();
  }

  private void documents(Exchange exchange) throws HttpError {
    String name = exchange.pathParameter("source");
    SourceDeclaration source;
    try {
      source = sources.get(name);
    } catch (IllegalArgumentException e) {
      throw HttpError.notFound("source", e.getMessage());
    }
    Body kind = kindOf(exchange.contentType());
    if (isBlank(exchange.body())) {
      throw HttpError.badRequest(null, "empty body: send documents (" + ACCEPTED + ")");
    }
    String request = "http:" + requests.incrementAndGet();
    Rejector rejector = new Rejector(source, config, clock);
    List<Parsed> batch;
    try {
      batch = parse(exchange.body(), kind, request, rejector);
    } catch (BadRequest e) {
      throw HttpError.badRequest(null, e.getMessage());
    }
    // the batch holds its records: the body goes before the wait for the writer
    exchange.releaseBody();
    try {
      writer.write(batch);
    } catch (KafkaException e) {
      LOG.warn("batch {} of {} not written: {}", request, name, e.toString());
      throw HttpError.unavailable(
          "Kafka did not take the batch ("
              + e.getMessage()
              + "); nothing of it was written: send it again");
    }
    exchange.json(200, results(source, batch));
  }

  /**
   * Whether a body is empty or white space only, as {@link String#isBlank} has it, without decoding
   * a body that starts with anything else: a push of 60 MB was copied whole into a string for this.
   */
  static boolean isBlank(byte[] body) {
    for (int i = 0; i < body.length; i++) {
      byte b = body[i];
      if (b < 0) {
        // not ASCII: white space beyond it (U+3000, say) is told by decoding the rest
        return new String(body, i, body.length - i, StandardCharsets.UTF_8).isBlank();
      }
      if (!Character.isWhitespace(b)) {
        return false;
      }
    }
    return true;
  }

  /** The records of a body: NDJSON line by line, else one JSON value (an object or an array). */
  private List<Parsed> parse(byte[] body, Body kind, String request, Rejector rejector)
      throws BadRequest {
    JsonlFormat format = new JsonlFormat(config);
    List<Parsed> batch = new ArrayList<>();
    // each document is kept as its encoded records from here on, not also as an object with its
    // text; an image's bytes are encoded once a batch
    Set<String> images = new HashSet<>();
    java.util.function.Consumer<Parsed> add =
        p -> batch.add(p instanceof Parsed.Accepted a ? a.encode(images) : p);
    if (kind == Body.LINES) {
      try (LineReader lines =
          new LineReader(new ByteArrayInputStream(body), config.maxDocumentBytes())) {
        for (LineReader.Line line = lines.next(); line != null; line = lines.next()) {
          if (line.bytes().length > 0) {
            add.accept(
                format.parse(line.bytes(), line.length(), request + "#" + batch.size(), rejector));
          }
        }
      } catch (IOException e) {
        throw new BadRequest("cannot read the body: " + e.getMessage());
      }
      return batch;
    }
    // one element at a time: a JSON array of documents is never a tree of the whole body
    try (JsonParser parser = JSON.createParser(body)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new BadRequest("empty body");
      }
      if (first == JsonToken.START_ARRAY) {
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
          if (t == null) {
            throw new BadRequest("the body's array does not end");
          }
          add.accept(
              element(parser.readValueAsTree(), format, request + "#" + batch.size(), rejector));
        }
      } else {
        add.accept(
            element(parser.readValueAsTree(), format, request + "#" + batch.size(), rejector));
      }
      if (parser.nextToken() != null) {
        throw new BadRequest(
            "content after the JSON value at "
                + parser.currentLocation().getCharOffset()
                + "; send one JSON object, one array of objects, or NDJSON with Content-Type:"
                + " application/x-ndjson");
      }
    } catch (JacksonException e) {
      throw new BadRequest(
          "body is not JSON ("
              + e.getOriginalMessage()
              + "); send a JSON object, an "
              + "array of objects, or NDJSON with Content-Type: application/x-ndjson");
    } catch (IOException e) {
      throw new BadRequest("cannot read the body: " + e.getMessage());
    }
    return batch;
  }

  /** One element of a JSON body, mapped as a JSONL line: its own bytes are kept as it came. */
  private Parsed element(JsonNode node, JsonlFormat format, String location, Rejector rejector) {
    JsonNode element = node == null ? com.fasterxml.jackson.databind.node.NullNode.instance : node;
    byte[] original = element.toString().getBytes(StandardCharsets.UTF_8);
    return original.length > config.maxDocumentBytes()
        ? format.parse(original, original.length, location, rejector)
        : format.parse(element, original, location, rejector);
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
      if (batch.get(i) instanceof Parsed.Encoded a) {
        result.put("status", "accepted");
        result.put("doc_id", a.docId());
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

  @Override
  public Health health() {
    try {
      int brokers = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
      return new Health(true, Map.of("kafka", config.bootstrapServers(), "brokers", brokers));
    } catch (Exception e) {
      return new Health(
          false,
          Map.of("kafka", config.bootstrapServers(), "detail", "broker does not answer: " + e));
    }
  }

  /** How a body is read. */
  private enum Body {
    /** One JSON value: an object, or an array of objects. */
    JSON,
    /** One JSON object a line. */
    LINES
  }

  private static final String ACCEPTED =
      "Content-Type: application/json for an object or an array of objects,"
          + " application/x-ndjson (or application/jsonl) for one object a line";

  /**
   * The parser the declared content type asks for.
   *
   * @throws HttpError 415 for a missing or other type: a body is never guessed at, since NDJSON
   *     read as JSON would keep its first line and drop the rest
   */
  private static Body kindOf(String contentType) throws HttpError {
    String type = contentType.split(";", 2)[0].trim();
    return switch (type) {
      case "application/json" -> Body.JSON;
      case "application/x-ndjson",
          "application/ndjson",
          "application/jsonl",
          "application/x-jsonl",
          "application/json-seq" ->
          Body.LINES;
      default ->
          throw new HttpError(
              415,
              "Content-Type",
              (type.isEmpty() ? "no Content-Type" : "Content-Type " + type + " is not read")
                  + "; send "
                  + ACCEPTED);
    };
  }

  /** A body that cannot be read as documents. */
  private static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;

    BadRequest(String message) {
      super(message);
    }
  }

  @Override
  public String name() {
    return "ingest";
  }

  @Override
  public boolean ready() {
    return true;
  }

  @Override
  public java.util.Map<String, java.net.URI> endpoints() {
    return Map.of("http", server.uri());
  }

  @Override
  public void close() {
    server.close();
    writer.close();
    admin.close();
  }
}
