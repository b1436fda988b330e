package dev.refinery.feedback;

import dev.refinery.metrics.MetricsHttp;
import dev.refinery.schemas.Topics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feedback service: the labeling gateway and the joiner (a Kafka Streams application, RocksDB,
 * {@code exactly_once_v2}) in one process, sharing {@code /metrics} on the gateway's port. Run more
 * instances with the same application id and distinct {@code feedback.transactional.id}s behind a
 * load balancer; the joiner's partitions spread over them.
 */
public final class FeedbackService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FeedbackService.class);

  private final FeedbackGateway gateway;
  private final KafkaStreams streams;
  private final KafkaStreamsMetrics streamsMetrics;
  private final FeedbackMetrics metrics;

  private FeedbackService(
      FeedbackGateway gateway,
      KafkaStreams streams,
      KafkaStreamsMetrics streamsMetrics,
      FeedbackMetrics metrics) {
    this.gateway = gateway;
    this.streams = streams;
    this.streamsMetrics = streamsMetrics;
    this.metrics = metrics;
  }

  /**
   * Starts the joiner, then the gateway.
   *
   * @throws org.apache.kafka.common.config.ConfigException naming a setting that is not usable
   */
  public static FeedbackService start(FeedbackConfig config) throws IOException {
    config.pseudonymKey();
    PrometheusMeterRegistry registry = MetricsHttp.registry();
    FeedbackMetrics metrics = new FeedbackMetrics(registry);
    KafkaStreams streams =
        new KafkaStreams(FeedbackTopology.build(config.rubrics(), metrics), streamsConfig(config));
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error(
              "feedback joiner thread failed; replacing it (it resumes from the last commit)", e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    streams.setStateListener((now, before) -> LOG.info("feedback joiner {} -> {}", before, now));
    KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    streams.start();
    FeedbackGateway gateway;
    try {
      gateway = FeedbackGateway.start(config, registry, metrics, () -> joinerState(streams));
    } catch (IOException | RuntimeException e) {
      streams.close(Duration.ofSeconds(30));
      throw e;
    }
    return new FeedbackService(gateway, streams, streamsMetrics, metrics);
  }

  private static String joinerState(KafkaStreams streams) {
    return streams.state().name();
  }

  /** The Streams settings of the joiner. */
  public static Properties streamsConfig(FeedbackConfig config) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toAbsolutePath().toString());
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitIntervalMs());
    // the join decodes its inputs itself (bad bytes become rejections); the internal topics carry
    // bytes only this topology writes, and a bad one there is skipped with a log line
    p.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueExceptionHandler.class);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 10);
    p.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        Topics.MAX_MESSAGE_BYTES);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    return p;
  }

  public int port() {
    return gateway.port();
  }

  public KafkaStreams.State joinerState() {
    return streams.state();
  }

  public FeedbackMetrics metrics() {
    return metrics;
  }

  /** Waits until the joiner is RUNNING and the gateway has read the samples. */
  public void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING || !gateway.ready()) {
      if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException(
            "feedback is not ready after "
                + timeout
                + ": joiner "
                + streams.state()
                + ", samples read: "
                + gateway.ready());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  @Override
  public void close() {
    gateway.close();
    streams.close(
        CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30)));
    streamsMetrics.close();
  }
}
