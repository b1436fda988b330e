package dev.refinery.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.runtime.http.Exchange;
import dev.refinery.runtime.http.Handler;
import dev.refinery.runtime.http.Health;
import dev.refinery.runtime.http.HttpError;
import dev.refinery.runtime.http.HttpServer;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.RbrmJudgement;
import dev.refinery.schemas.Sample;
import dev.refinery.schemas.Topics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The labeling gateway, an HTTP service:
 *
 * <ul>
 *   <li>{@code POST /v1/samples} (scope samples), {@code POST /v1/labels} (scope labels), {@code
 *       POST /v1/rbrm} (scope rbrm): the native API, one JSON object or an array.
 *   <li>{@code POST /v1/webhooks/label-studio} (scope label-studio): Label Studio's webhooks.
 *   <li>{@code POST /v1/webhooks/argilla}: Argilla's webhooks, signed (Standard Webhooks).
 *   <li>{@code GET /v1/rubrics}: the RBRM rubric table. {@code GET /metrics}, {@code GET /health}.
 * </ul>
 *
 * A request is checked whole (authentication, size, JSON, every field, every sample and completion
 * it names) before anything is written, then written in one Kafka transaction: all of it or none.
 * Labelers are pseudonymized before a record is built. A refusal is a 4xx whose JSON body names the
 * field: {@code {"error": "...", "field": "annotation.result[0].value.selected"}}; 503 means
 * nothing was written and the request may be sent again.
 */
public final class FeedbackGateway implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FeedbackGateway.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long WRITE_TIMEOUT_S = 30;

  private final FeedbackConfig config;
  private final SampleIndex index;
  private final FeedbackWriter writer;
  private final FeedbackMetrics metrics;
  private final Pseudonyms pseudonyms;
  private final StandardWebhooks argilla;
  private final Supplier<String> joiner;
  private final Clock clock;
  private final LabelStudioConfigs labelConfigs;
  private final HttpServer server;

  private FeedbackGateway(
      FeedbackConfig config,
      SampleIndex index,
      FeedbackWriter writer,
      PrometheusMeterRegistry registry,
      FeedbackMetrics metrics,
      Supplier<String> joiner,
      Clock clock)
      throws IOException {
    this.config = config;
    this.index = index;
    this.writer = writer;
    this.metrics = metrics;
    this.joiner = joiner;
    this.pseudonyms = new Pseudonyms(config.pseudonymKey());
    String secret = config.argillaSecret().value();
    try {
      this.argilla =
          secret.isEmpty() ? null : new StandardWebhooks(secret, config.argillaToleranceSeconds());
    } catch (IllegalArgumentException e) {
      throw new org.apache.kafka.common.config.ConfigException(
          FeedbackConfig.ARGILLA_SECRET,
          "(hidden)",
          "must be whsec_ and base64, as Argilla shows it");
    }
    this.clock = clock;
    this.labelConfigs = LabelStudioConfigs.of(config, clock);
    this.server =
        HttpServer.builder("feedback", config.http())
            .post("/v1/samples", scope("samples"), endpoint("samples", this::samples))
            .post("/v1/labels", scope("labels"), endpoint("labels", this::labels))
            .post("/v1/rbrm", scope("rbrm"), endpoint("rbrm", this::judgements))
            .post(
                "/v1/webhooks/label-studio",
                scope("label-studio"),
                endpoint("label-studio", this::labelStudio))
            .post("/v1/webhooks/argilla", endpoint("argilla", this::argilla))
            .get("/v1/rubrics", this::rubrics)
            .metrics(registry, this::health)
            .start();
  }

  /**
   * Starts the gateway on {@code feedback.http.port}: it reads feedback.samples.v1 to check labels
   * against and writes with transactional id {@code feedback.transactional.id}.
   *
   * @throws org.apache.kafka.common.config.ConfigException if the pseudonym key or Argilla secret
   *     is not usable
   */
  public static FeedbackGateway start(
      FeedbackConfig config,
      PrometheusMeterRegistry registry,
      FeedbackMetrics metrics,
      Supplier<String> joiner)
      throws IOException {
    SampleIndex index = config.sampleCheck() ? new SampleIndex(config.kafka()).start() : null;
    FeedbackGateway gateway =
        new FeedbackGateway(
            config,
            index,
            FeedbackWriter.create(config, metrics),
            registry,
            metrics,
            joiner,
            Clock.systemUTC());
    LOG.info(
        "feedback gateway on port {} ({} API token(s))",
        gateway.port(),
        config.tokens().all().size());
    return gateway;
  }

  public int port() {
    return server.port();
  }

  public java.net.URI uri() {
    return server.uri();
  }

  /** Whether the gateway has read every sample that existed when it started. */
  public boolean ready() {
    return index == null || index.caughtUp();
  }

  /**
   * One endpoint's work: the records to write and the response, or a refusal. It checks the
   * caller's token before it reads the body.
   */
  @FunctionalInterface
  private interface Endpoint {
    Reply serve(Exchange exchange) throws HttpError;
  }

  /** Records to write, then the response body. */
  private record Reply(
      List<ProducerRecord<String, byte[]>> records, ObjectNode body, Runnable afterCommit) {}

  private Handler endpoint(String endpoint, Endpoint serve) {
    return exchange -> {
      long t0 = System.nanoTime();
      int status = 500;
      try {
        Reply reply = serve.serve(exchange);
        if (!reply.records().isEmpty()) {
          write(reply);
        }
        status = 200;
        exchange.json(status, reply.body());
      } catch (HttpError e) {
        status = e.status();
        throw e;
      } finally {
        metrics.request(endpoint, status, System.nanoTime() - t0);
      }
    };
  }

  private void write(Reply reply) throws BadPayload {
    try {
      writer.write(reply.records()).get(WRITE_TIMEOUT_S, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new BadPayload(
          503,
          null,
          "Kafka did not take the records ("
              + e.getCause().getMessage()
              + "); nothing of this request was written: send it again");
    } catch (TimeoutException e) {
      throw new BadPayload(
          503,
          null,
          "Kafka did not confirm the records in "
              + WRITE_TIMEOUT_S
              + " s; they may still be written. Sending the request again is safe: a label"
              + " or judgement with the same id and revision changes nothing");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BadPayload(503, null, "the gateway is shutting down; send it again");
    }
    if (reply.afterCommit() != null) {
      reply.afterCommit().run();
    }
  }

  /** The token check of an endpoint, run before its body is read. */
  private dev.refinery.runtime.http.Guard scope(String scope) {
    return exchange -> {
      try {
        config.tokens().check(exchange, scope);
      } catch (HttpError e) {
        metrics.request(scope, e.status(), 0);
        throw e;
      }
    };
  }

  /** The body as JSON: read only now, after the caller is known. */
  private static JsonNode parse(Exchange exchange) throws HttpError {
    return exchange.json();
  }

  private Reply samples(Exchange exchange) throws HttpError {
    Instant now = clock.instant();
    List<Sample> fresh = new ArrayList<>();
    ArrayNode results = JSON.createArrayNode();
    Map<String, Sample> inRequest = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : NativeApi.elements(parse(exchange))) {
      Sample sample = NativeApi.sample(e.getValue(), e.getKey(), now);
      List<String> ids = sample.getCompletions().stream().map(c -> c.getCompletionId()).toList();
      KnownSample known = index == null ? null : index.get(sample.getSampleId());
      Sample twin = inRequest.putIfAbsent(sample.getSampleId(), sample);
      if ((known != null && !known.completionIds().equals(ids))
          || (twin != null && !twin.equals(sample))) {
        throw new BadPayload(
            409,
            Json.at(e.getKey(), "sample_id"),
            "sample '"
                + sample.getSampleId()
                + "' exists with other completions; samples are immutable, use a new id");
      }
      ObjectNode result =
          results
              .addObject()
              .put("sample_id", sample.getSampleId())
              .put("prompt_id", sample.getPromptId());
      if (known != null || twin != null) {
        result.put("status", "unchanged");
      } else {
        result.put("status", "written");
        fresh.add(sample);
      }
    }
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (Sample s : fresh) {
      records.add(
          new ProducerRecord<>(
              Topics.FEEDBACK_SAMPLES.name(),
              s.getSampleId(),
              Topics.FEEDBACK_SAMPLES.serialize(s)));
    }
    ObjectNode response = JSON.createObjectNode().put("written", fresh.size());
    response.set("samples", results);
    return new Reply(
        records,
        response,
        () -> {
          metrics.written("sample", NativeApi.TOOL, fresh.size());
          if (index != null) {
            fresh.forEach(index::add);
          }
        });
  }

  private Reply labels(Exchange exchange) throws HttpError {
    Instant now = clock.instant();
    List<PreferenceLabel> raw = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    List<String> samplePaths = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : NativeApi.elements(parse(exchange))) {
      raw.add(NativeApi.label(e.getValue(), e.getKey(), now));
      paths.add(e.getKey());
      samplePaths.add(Json.at(e.getKey(), "sample_id"));
    }
    return labelReply(raw, paths, samplePaths, NativeApi.TOOL);
  }

  private Reply labelStudio(Exchange exchange) throws HttpError {
    return labelStudio(parse(exchange));
  }

  private Reply labelStudio(JsonNode body) throws BadPayload {
    WebhookResult result =
        LabelStudioWebhook.parse(body, config.sampleField(), labelConfigs, clock.instant());
    return webhookReply(
        result, "annotation.result", "task.data." + config.sampleField(), LabelStudioWebhook.TOOL);
  }

  /**
   * Takes a Label Studio delivery as the webhook endpoint does, from inside the service (the
   * periodic reconciliation): {@code null} if it was written, else why it was refused.
   *
   * @throws IOException if Kafka did not take it (nothing was written; the next run sends it)
   */
  String deliverLabelStudio(JsonNode body) throws IOException {
    try {
      Reply reply = labelStudio(body);
      if (!reply.records().isEmpty()) {
        write(reply);
      }
      return null;
    } catch (BadPayload e) {
      if (e.status() >= 500) {
        throw new IOException(e.getMessage(), e);
      }
      return e.status() + " " + e.getMessage();
    }
  }

  private Reply argilla(Exchange exchange) throws HttpError {
    if (argilla == null) {
      throw new BadPayload(
          401,
          null,
          "Argilla webhooks are off: set "
              + FeedbackConfig.ARGILLA_SECRET
              + " to the webhook's secret");
    }
    argilla.verify(
        exchange.header(StandardWebhooks.ID),
        exchange.header(StandardWebhooks.TIMESTAMP),
        exchange.header(StandardWebhooks.SIGNATURE),
        exchange.body(),
        clock.instant());
    WebhookResult result =
        ArgillaWebhook.parse(
            parse(exchange), config.sampleField(), config.argillaPreferenceQuestions());
    return webhookReply(result, "data.values", "data.record.external_id", ArgillaWebhook.TOOL);
  }

  private Reply webhookReply(WebhookResult result, String context, String samplePath, String tool)
      throws BadPayload {
    if (result.ignored() != null) {
      return new Reply(
          List.of(),
          JSON.createObjectNode().put("written", 0).put("ignored", result.ignored()),
          null);
    }
    if (!result.deletions().isEmpty()) {
      List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
      ArrayNode deleted = JSON.createArrayNode();
      for (PreferenceLabel d : result.deletions()) {
        records.add(
            new ProducerRecord<>(
                Topics.FEEDBACK_LABEL_DELETIONS.name(),
                d.getLabelId(),
                Topics.FEEDBACK_LABEL_DELETIONS.serialize(d)));
        deleted.add(d.getLabelId());
      }
      ObjectNode response = JSON.createObjectNode().put("written", records.size());
      response.set("deleted", deleted);
      return new Reply(records, response, () -> metrics.written("deletion", tool, records.size()));
    }
    List<String> paths = new ArrayList<>();
    List<String> samplePaths = new ArrayList<>();
    result.labels().forEach(l -> paths.add(context));
    result.labels().forEach(l -> samplePaths.add(samplePath));
    return labelReply(result.labels(), paths, samplePaths, tool);
  }

  private Reply labelReply(
      List<PreferenceLabel> raw, List<String> paths, List<String> samplePaths, String tool)
      throws BadPayload {
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    ArrayNode results = JSON.createArrayNode();
    for (int i = 0; i < raw.size(); i++) {
      PreferenceLabel label = raw.get(i);
      String context = paths.get(i);
      KnownSample sample = known(label.getSampleId(), samplePaths.get(i));
      PreferenceLabel resolved = LabelResolver.resolve(label, sample, pseudonyms, context);
      records.add(
          new ProducerRecord<>(
              Topics.FEEDBACK_PREFERENCES.name(),
              resolved.getSampleId(),
              Topics.FEEDBACK_PREFERENCES.serialize(resolved)));
      results
          .addObject()
          .put("label_id", resolved.getLabelId())
          .put("sample_id", resolved.getSampleId())
          .put("revision", resolved.getRevision())
          .put("labeler", resolved.getLabeler());
    }
    ObjectNode response = JSON.createObjectNode().put("written", records.size());
    response.set("labels", results);
    return new Reply(records, response, () -> metrics.written("label", tool, raw.size()));
  }

  private Reply judgements(Exchange exchange) throws HttpError {
    Instant now = clock.instant();
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    ArrayNode results = JSON.createArrayNode();
    for (Map.Entry<String, JsonNode> e : NativeApi.elements(parse(exchange))) {
      RbrmJudgement j = NativeApi.judgement(e.getValue(), e.getKey(), config.rubrics(), now);
      KnownSample sample = known(j.getSampleId(), Json.at(e.getKey(), "sample_id"));
      if (sample != null && !sample.completionIds().contains(j.getCompletionId())) {
        throw new BadPayload(
            Json.at(e.getKey(), "completion_id"),
            "sample '"
                + j.getSampleId()
                + "' has no completion '"
                + j.getCompletionId()
                + "'; its completions are "
                + sample.completionIds());
      }
      records.add(
          new ProducerRecord<>(
              Topics.FEEDBACK_RBRM.name(), j.getSampleId(), Topics.FEEDBACK_RBRM.serialize(j)));
      results.addObject().put("judgement_id", j.getJudgementId()).put("reward", j.getReward());
    }
    ObjectNode response = JSON.createObjectNode().put("written", records.size());
    response.set("judgements", results);
    return new Reply(
        records, response, () -> metrics.written("judgement", NativeApi.TOOL, records.size()));
  }

  /**
   * The sample a label names, or {@code null} when the gateway does not check samples.
   *
   * @throws BadPayload 404 for an unknown sample, 503 while the index is still reading
   */
  private KnownSample known(String sampleId, String field) throws BadPayload {
    if (index == null) {
      return null;
    }
    KnownSample sample = index.get(sampleId);
    if (sample != null) {
      return sample;
    }
    if (!index.caughtUp()) {
      throw new BadPayload(
          503,
          null,
          "the gateway is still reading "
              + Topics.FEEDBACK_SAMPLES.name()
              + " ("
              + index.size()
              + " samples so far); send it again shortly");
    }
    throw new BadPayload(
        404,
        field,
        "unknown sample '"
            + sampleId
            + "': it is not on "
            + Topics.FEEDBACK_SAMPLES.name()
            + "; publish it first (POST /v1/samples)");
  }

  private void rubrics(Exchange exchange) {
    ObjectNode body = JSON.createObjectNode();
    config
        .rubrics()
        .rewards()
        .forEach(
            (rubric, classes) -> {
              ObjectNode row = body.putObject(rubric);
              new java.util.TreeMap<>(classes).forEach(row::put);
            });
    exchange.json(200, body);
  }

  Health health() {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("kafka", config.bootstrapServers());
    details.put("samples_known", index == null ? -1 : index.size());
    details.put("samples_caught_up", ready());
    String state = joiner.get();
    details.put("joiner", state);
    return new Health(ready() && (state.equals("RUNNING") || state.equals("REBALANCING")), details);
  }

  @Override
  public void close() {
    server.close();
    writer.close();
    if (index != null) {
      index.close();
    }
  }
}
