package dev.refinery.dedup;

import dev.refinery.dedup.rules.LanguageRule;
import dev.refinery.dedup.rules.RuleSet;
import dev.refinery.metrics.MetricsHttp;
import dev.refinery.schemas.Topics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dedup-filter stage as a running Kafka Streams application: RocksDB state, {@code
 * exactly_once_v2}, {@code /metrics} and {@code /health} on {@code dedup.http.port}. Start as many
 * instances with the same application id as {@code corpus.raw.v1} has partitions; they share the
 * work.
 */
public final class DedupFilterService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DedupFilterService.class);

  private final KafkaStreams streams;
  private final DedupMetrics metrics;
  private final KafkaStreamsMetrics streamsMetrics;
  private final MetricsHttp http;

  private DedupFilterService(
      KafkaStreams streams,
      DedupMetrics metrics,
      KafkaStreamsMetrics streamsMetrics,
      MetricsHttp http) {
    this.streams = streams;
    this.metrics = metrics;
    this.streamsMetrics = streamsMetrics;
    this.http = http;
  }

  /**
   * Builds and starts the application. A bad rule setting fails here, naming the setting; the
   * language detector is loaded here, not on the first document.
   */
  public static DedupFilterService start(DedupFilterConfig config) {
    PrometheusMeterRegistry registry = MetricsHttp.registry();
    DedupMetrics metrics = new DedupMetrics(registry);
    RuleSet rules = RuleSet.from(config);
    if (rules.usesLanguage()) {
      long t0 = System.nanoTime();
      LanguageRule.detector();
      LOG.info("language detector loaded in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }
    KafkaStreams streams =
        new KafkaStreams(DedupFilterTopology.build(config, rules, metrics), streamsConfig(config));
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error(
              "dedup-filter stream thread failed; replacing it (its tasks resume from the last commit)",
              e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    streams.setStateListener((now, before) -> LOG.info("dedup-filter {} -> {}", before, now));
    KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    for (String store : DedupFilterTopology.STORES) {
      Gauge.builder("refinery.dedup.store.entries", streams, s -> approximateEntries(s, store))
          .description("Approximate entries of a state store, over the tasks of this instance")
          .tag("store", store)
          .register(registry);
    }
    streams.start();
    MetricsHttp http = null;
    if (config.httpPort() >= 0) {
      try {
        http = MetricsHttp.start(config.httpPort(), registry, () -> health(streams, config));
      } catch (IOException e) {
        streams.close(Duration.ofSeconds(30));
        throw new UncheckedIOException(
            "cannot serve /metrics on port "
                + config.httpPort()
                + " (set "
                + DedupFilterConfig.HTTP_PORT
                + " to a free port, 0 for any, -1 for none)",
            e);
      }
      LOG.info("dedup-filter /metrics and /health on port {}", http.port());
    }
    return new DedupFilterService(streams, metrics, streamsMetrics, http);
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
    // the screen step decodes itself (bad bytes become UNDECODABLE rejections); the internal topics
    // carry bytes only this topology writes, and a bad one there is skipped with a log line
    p.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueExceptionHandler.class);
    // internal topics take the cluster's default replication factor
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
    // documents can be large: the repartition and changelog topics and the producer must take them
    p.put(StreamsConfig.topicPrefix("max.message.bytes"), Topics.LARGE_MESSAGE_BYTES);
    p.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        Topics.LARGE_MESSAGE_BYTES);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
    // a transaction's first send often meets the last one's markers still being written
    // (CONCURRENT_TRANSACTIONS); retry it after 10 ms rather than the default 100 ms
    p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 10);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    return p;
  }

  private static MetricsHttp.Health health(KafkaStreams streams, DedupFilterConfig config) {
    KafkaStreams.State state = streams.state();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("state", state.name());
    details.put("application_id", config.applicationId());
    details.put("kafka", config.bootstrapServers());
    return new MetricsHttp.Health(
        state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING, details);
  }

  private static double approximateEntries(KafkaStreams streams, String store) {
    if (streams.state() != KafkaStreams.State.RUNNING) {
      return Double.NaN;
    }
    try {
      ReadOnlyKeyValueStore<Object, Object> kv =
          streams.store(
              StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.keyValueStore()));
      return kv.approximateNumEntries();
    } catch (InvalidStateStoreException e) {
      return Double.NaN;
    }
  }

  /**
   * Waits until this instance's takedown store holds the key (a takedown just published reaches the
   * store within milliseconds; this is for a caller that must be sure before sending documents).
   */
  public void awaitTakedown(String key, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        ReadOnlyKeyValueStore<String, Object> store =
            streams.store(
                StoreQueryParameters.fromNameAndType(
                    DedupFilterTopology.TAKEDOWN_STORE, QueryableStoreTypes.keyValueStore()));
        if (store.get(Takedowns.normalizeKey(key)) != null) {
          return;
        }
      } catch (InvalidStateStoreException e) {
        // not queryable yet: starting or rebalancing
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "takedown " + key + " did not reach dedup-filter in " + timeout);
      }
      Thread.sleep(50);
    }
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  public DedupMetrics metrics() {
    return metrics;
  }

  /** The port of {@code /metrics} and {@code /health}; -1 when not served. */
  public int httpPort() {
    return http == null ? -1 : http.port();
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
    if (http != null) {
      http.close();
    }
    streams.close(
        CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30)));
    streamsMetrics.close();
  }
}
