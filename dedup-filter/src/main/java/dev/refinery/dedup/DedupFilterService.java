package dev.refinery.dedup;

import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dedup-filter stage as a running Kafka Streams application: RocksDB state, {@code
 * exactly_once_v2}. Start as many instances with the same application id as {@code corpus.raw.v1}
 * has partitions; they share the work.
 */
public final class DedupFilterService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DedupFilterService.class);

  private final KafkaStreams streams;
  private final DedupMetrics metrics;

  private DedupFilterService(KafkaStreams streams, DedupMetrics metrics) {
    this.streams = streams;
    this.metrics = metrics;
  }

  /** Builds and starts the application. */
  public static DedupFilterService start(DedupFilterConfig config) {
    DedupMetrics metrics = new DedupMetrics();
    KafkaStreams streams =
        new KafkaStreams(DedupFilterTopology.build(config, metrics), streamsConfig(config));
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error(
              "dedup-filter stream thread failed; replacing it (its tasks resume from the last commit)",
              e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    streams.setStateListener((now, before) -> LOG.info("dedup-filter {} -> {}", before, now));
    streams.start();
    return new DedupFilterService(streams, metrics);
  }

  /** The Streams settings the stage runs with. */
  public static Properties streamsConfig(DedupFilterConfig config) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toAbsolutePath().toString());
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitIntervalMs());
    // internal topics take the cluster's default replication factor
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
    // documents can be large: the repartition and changelog topics and the producer must take them
    p.put(StreamsConfig.topicPrefix("max.message.bytes"), Topics.LARGE_MESSAGE_BYTES);
    p.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        Topics.LARGE_MESSAGE_BYTES);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    return p;
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  public DedupMetrics metrics() {
    return metrics;
  }

  /** Waits until the application is RUNNING. */
  public void awaitRunning(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException(
            "dedup-filter is " + streams.state() + ", not RUNNING, after " + timeout);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /**
   * Stops, leaving the group, so the partitions move to the other instances (or a restart) at once.
   */
  @Override
  public void close() {
    streams.close(
        CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30)));
  }
}
