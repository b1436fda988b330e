package dev.refinery.feedback;

import dev.refinery.runtime.http.Health;
import dev.refinery.runtime.http.Metrics;
import dev.refinery.runtime.service.Service;
import dev.refinery.runtime.streams.RocksDbBudget;
import dev.refinery.runtime.streams.StreamsRunner;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The feedback service: the labeling gateway and the joiner (a Kafka Streams application on {@link
 * StreamsRunner}: RocksDB, {@code exactly_once_v2}, a record that fails rejected as {@code
 * PROCESSING_ERROR}) in one process, sharing {@code /metrics} on the gateway's port. Run more
 * instances with the same application id and distinct {@code feedback.transactional.id}s behind a
 * load balancer; the joiner's partitions spread over them.
 */
public final class FeedbackService implements Service {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(FeedbackService.class);
  private final FeedbackGateway gateway;
  private final StreamsRunner joiner;
  private final FeedbackMetrics metrics;
  private java.util.concurrent.ScheduledExecutorService reconciling;

  private FeedbackService(FeedbackGateway gateway, StreamsRunner joiner, FeedbackMetrics metrics) {
    this.gateway = gateway;
    this.joiner = joiner;
    this.metrics = metrics;
  }

  /**
   * Starts the joiner, then the gateway.
   *
   * @throws org.apache.kafka.common.config.ConfigException naming a setting that is not usable
   */
  public static FeedbackService start(FeedbackConfig config) throws IOException {
    return start(config, null);
  }

  /** Starts with a joiner topology of the caller's (tests plug in a failing one). */
  static FeedbackService start(FeedbackConfig config, org.apache.kafka.streams.Topology topology)
      throws IOException {
    config.pseudonymKey();
    PrometheusMeterRegistry registry = Metrics.registry();
    FeedbackMetrics metrics = new FeedbackMetrics(registry);
    StreamsRunner joiner =
        StreamsRunner.start(
            "feedback joiner",
            topology == null
                ? FeedbackTopology.build(config.rubrics(), config.ratingPairs(), metrics)
                : topology,
            streamsConfig(
                config,
                StreamsRunner.resolve(
                    config.kafka(), dev.refinery.runtime.config.Replication.from(config))),
            registry,
            config.stallTimeout());
    java.util.List<String> projects = config.reconcileProjects();
    RocksDbBudget.registerGauge(
        registry,
        "refinery.feedback.rocksdb.memory",
        joiner.streams(),
        config.rocksDbMemoryBytes());
    FeedbackGateway gateway;
    try {
      gateway = FeedbackGateway.start(config, registry, metrics, () -> joiner.state().name());
    } catch (IOException | RuntimeException e) {
      joiner.close();
      throw e;
    }
    FeedbackService service = new FeedbackService(gateway, joiner, metrics);
    if (!projects.isEmpty()) {
      service.reconcileEvery(config, projects);
    }
    return service;
  }

  /** The Streams settings of the joiner. */
  public static Properties streamsConfig(FeedbackConfig config) {
    return streamsConfig(config, dev.refinery.runtime.config.Replication.from(config));
  }

  /** The Streams settings, with the replication of the internal topics on the cluster. */
  public static Properties streamsConfig(
      FeedbackConfig config, dev.refinery.runtime.config.Replication replication) {
    Properties p =
        StreamsRunner.baseConfig(
            config.applicationId(),
            config.kafka(),
            config.stateDir(),
            config.commitIntervalMs(),
            Stage.FEEDBACK,
            64 * 1024,
            Topics.MAX_MESSAGE_BYTES,
            replication);
    RocksDbBudget.configure(p, config.rocksDbMemoryBytes());
    return p;
  }

  public int port() {
    return gateway.port();
  }

  public KafkaStreams.State joinerState() {
    return joiner.state();
  }

  public FeedbackMetrics metrics() {
    return metrics;
  }

  @Override
  public String name() {
    return "feedback";
  }

  /** The joiner is RUNNING and the gateway has read the samples. */
  @Override
  public boolean ready() {
    return joiner.state() == KafkaStreams.State.RUNNING && gateway.ready();
  }

  @Override
  public Health health() {
    return gateway.health();
  }

  @Override
  public Map<String, URI> endpoints() {
    return Map.of("http", gateway.uri());
  }

  /** Waits until the joiner is RUNNING and the gateway has read the samples. */
  public void awaitReady(Duration timeout) {
    if (joiner.state() == KafkaStreams.State.ERROR) {
      throw new IllegalStateException("the feedback joiner failed");
    }
    Service.super.awaitReady(timeout);
  }

  /**
   * Reconciles the projects with Label Studio at startup (once the samples are read) and then at
   * every interval, through the gateway's own webhook path.
   */
  private void reconcileEvery(FeedbackConfig config, java.util.List<String> projects) {
    LabelStudioReconciler reconciler =
        new LabelStudioReconciler(config.labelStudioUrl(), config.labelStudioApiToken().value());
    reconciling =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "feedback-reconcile");
              t.setDaemon(true);
              return t;
            });
    long[] due = {System.nanoTime()};
    reconciling.scheduleWithFixedDelay(
        () -> {
          if (!ready() || System.nanoTime() < due[0]) {
            return;
          }
          due[0] = System.nanoTime() + config.reconcileIntervalMs() * 1_000_000L;
          for (String project : projects) {
            try {
              LabelStudioReconciler.Report r =
                  reconciler.reconcile(project, config.kafka(), gateway::deliverLabelStudio);
              LOG.info("Label Studio project {} reconciled: {}", project, r);
              r.refused().forEach(x -> LOG.warn("  refused {}", x));
            } catch (Exception e) {
              LOG.warn("reconciling Label Studio project {} failed: {}", project, e.toString());
            }
          }
        },
        0,
        1,
        java.util.concurrent.TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    if (reconciling != null) {
      reconciling.shutdownNow();
    }
    gateway.close();
    joiner.close();
  }
}
