package dev.refinery.runtime.streams;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.config.Replication;
import dev.refinery.runtime.http.Health;
import dev.refinery.schemas.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a Refinery Kafka Streams application the one way every stage runs it: {@code
 * exactly_once_v2} on RocksDB, the {@link RejectingExceptionHandler} for records that fail
 * (processing and deserialization), a stream thread that dies of anything else replaced (its tasks
 * resume from the last commit), state changes logged, Streams' metrics on the service's registry,
 * and a close that leaves the group so partitions move at once.
 */
public final class StreamsRunner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsRunner.class);

  private final String name;
  private final KafkaStreams streams;
  private final KafkaStreamsMetrics metrics;

  private StreamsRunner(String name, KafkaStreams streams, KafkaStreamsMetrics metrics) {
    this.name = name;
    this.streams = streams;
    this.metrics = metrics;
  }

  /**
   * The settings every stage shares; a stage adds its own (threads, message sizes) to them.
   *
   * @param stage what the rejections of failed records name
   * @param maxOriginalBytes how many bytes of a failed record its rejection keeps
   * @param maxMessageBytes the largest record the application writes: its producer's request size
   *     and its internal topics' message size
   * @param replication the copies of its internal topics (changelogs, repartition topics), as
   *     {@link #resolve} found them for the cluster
   */
  public static Properties baseConfig(
      String applicationId,
      KafkaClients clients,
      Path stateDir,
      long commitIntervalMs,
      Stage stage,
      int maxOriginalBytes,
      int maxMessageBytes,
      Replication replication) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, RejectingExceptionHandler.class);
    p.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        RejectingExceptionHandler.class);
    p.put(RejectingExceptionHandler.STAGE, stage.name());
    p.put(RejectingExceptionHandler.MAX_ORIGINAL_BYTES, maxOriginalBytes);
    // internal topics are replicated as the catalog's are, not by the broker's default
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, replication.factor());
    if (replication.minInsyncReplicas() > 0) {
      p.put(StreamsConfig.topicPrefix("min.insync.replicas"), replication.minInsyncReplicas());
    }
    // a transaction's first send often meets the last one's markers still being written
    // (CONCURRENT_TRANSACTIONS); retry it after 10 ms rather than the default 100 ms
    p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 10);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    p.put(StreamsConfig.topicPrefix("max.message.bytes"), maxMessageBytes);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), maxMessageBytes);
    // the cluster and its client settings (TLS, SASL, kafka.streams.*) under the stage's own
    return clients.streams(p);
  }

  /** The replication of the internal topics on the cluster the clients reach. */
  public static Replication resolve(KafkaClients clients, Replication replication) {
    if (replication.factor() > 0 && replication.minInsyncReplicas() > 0) {
      return replication.resolve(replication.factor());
    }
    try (Admin admin = Admin.create(clients.admin(java.util.Map.of()))) {
      return replication.resolve(admin);
    }
  }

  /** Builds the application, binds its metrics to {@code registry} and starts it. */
  public static StreamsRunner start(
      String name, Topology topology, Properties config, MeterRegistry registry) {
    KafkaStreams streams = new KafkaStreams(topology, config);
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error(
              "{} stream thread failed; replacing it (its tasks resume from the last commit)",
              name,
              e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    streams.setStateListener((now, before) -> LOG.info("{} {} -> {}", name, before, now));
    KafkaStreamsMetrics metrics = new KafkaStreamsMetrics(streams);
    metrics.bindTo(registry);
    streams.start();
    return new StreamsRunner(name, streams, metrics);
  }

  public KafkaStreams streams() {
    return streams;
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  /** RUNNING, or REBALANCING (which a running application passes through). */
  public boolean running() {
    KafkaStreams.State state = streams.state();
    return state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
  }

  /** Health: up while running; the state and the given details in the body. */
  public Health health(Map<String, Object> details) {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("state", streams.state().name());
    all.putAll(details);
    return new Health(running(), all);
  }

  /**
   * Waits until the application is RUNNING.
   *
   * @throws IllegalStateException if it is not in {@code timeout}, or fails
   */
  public void awaitRunning(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException(
            name + " is " + streams.state() + ", not RUNNING, after " + timeout);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /** Stops within 30 s, leaving the group so the partitions move to the other instances at once. */
  @Override
  public void close() {
    streams.close(
        CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30)));
    metrics.close();
  }
}
