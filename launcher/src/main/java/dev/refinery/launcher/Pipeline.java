package dev.refinery.launcher;

import dev.refinery.dedup.DedupFilterService;
import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.infra.TopicProvisioner;
import dev.refinery.infra.TopicsConfig;
import dev.refinery.runtime.config.RefineryConfig;
import dev.refinery.runtime.service.Services;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import dev.refinery.tokenizer.TokenizerJob;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every stage in this process: the embedded broker (unless a cluster is given), the catalog's
 * topics, dedup-filter on Kafka Streams and the tokenizer on a Flink MiniCluster. Ingest and the
 * bridge are clients that come and go; they are not part of it.
 */
final class Pipeline implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  private final Services parts;
  private final Settings settings;
  private final DedupFilterService dedup;

  private Pipeline(Services parts, Settings settings, DedupFilterService dedup) {
    this.parts = parts;
    this.settings = settings;
    this.dedup = dedup;
  }

  /**
   * Starts the pipeline.
   *
   * @param embedded start a broker in this process; else use {@code bootstrap.servers}
   */
  static Pipeline start(Settings settings, boolean embedded, PrintWriter out) throws Exception {
    long t0 = System.nanoTime();
    Services parts = new Services();
    Settings given = settings;
    if (embedded) {
      EmbeddedKafka kafka = parts.start(() -> EmbeddedKafka.start(given.broker()));
      settings = settings.with(Map.of(RefineryConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers()));
      out.printf(
          "Kafka broker (KRaft, in this process) listening on %s, data in %s [%.1f s]%n",
          kafka.bootstrapServers(), kafka.dataDir(), seconds(t0));
    }
    Settings started = settings;
    try {
      // the embedded broker's topics are ours: their configs follow the catalog
      provision(started, embedded, out);
    } catch (RuntimeException | Error e) {
      parts.close();
      throw e;
    }
    long t1 = System.nanoTime();
    DedupFilterService dedup = parts.start(() -> DedupFilterService.start(started.dedup()));
    parts.start(
        () -> {
          JobClient tokenizer = TokenizerJob.onKafka(started.tokenizer()).startLocal();
          return (AutoCloseable) () -> cancel(tokenizer);
        });
    parts.start(
        () -> {
          dedup.awaitRunning(Duration.ofSeconds(60));
          return null;
        });
    out.printf(
        "dedup-filter (Kafka Streams, exactly_once_v2) and tokenizer (Flink MiniCluster, %s) running [%.1f s]%n",
        started.tokenizer().encoding(), seconds(t1));
    out.flush();
    return new Pipeline(parts, started, dedup);
  }

  private static void cancel(JobClient tokenizer) {
    try {
      tokenizer.cancel().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("tokenizer job did not cancel cleanly: {}", e.toString());
    }
  }

  /**
   * Creates the catalog's topics and the token topics of the configured streams (and the preference
   * stream), idempotently, with the configured replication.
   *
   * @param alter set back the configs of topics that differ from the catalog, else refuse them
   */
  static List<TopicProvisioner.Result> provision(
      Settings settings, boolean alter, PrintWriter out) {
    List<TopicBinding<?, ?>> topics = new ArrayList<>(Topics.fixed());
    settings.tokenStreams().forEach(s -> topics.add(Topics.tokens(s)));
    TopicsConfig config = settings.topics();
    try (Admin admin = Admin.create(settings.kafka().admin(Map.of()))) {
      List<TopicProvisioner.Result> results =
          new TopicProvisioner(
                  admin,
                  config.replication(),
                  alter || config.alterConfigs()
                      ? TopicProvisioner.Drift.ALTER
                      : TopicProvisioner.Drift.REFUSE)
              .provision(topics);
      long created =
          results.stream().filter(r -> r.outcome() == TopicProvisioner.Outcome.CREATED).count();
      out.printf(
          "Topics: %d in the catalog, %d created, %d already there%n",
          results.size(), created, results.size() - created);
      results.stream()
          .filter(
              r ->
                  r.outcome() != TopicProvisioner.Outcome.CREATED
                      && r.outcome() != TopicProvisioner.Outcome.UNCHANGED)
          .forEach(r -> out.printf("  %s: %s %s%n", r.topic(), r.outcome(), r.detail()));
      return results;
    }
  }

  Settings settings() {
    return settings;
  }

  String bootstrapServers() {
    return settings.ingest().bootstrapServers();
  }

  DedupFilterService dedup() {
    return dedup;
  }

  /** Cancels the tokenizer, stops dedup-filter, then the broker. */
  @Override
  public void close() {
    parts.close();
  }

  static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
