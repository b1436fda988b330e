package dev.refinery.dedup;

import dev.refinery.dedup.rules.LanguageRule;
import dev.refinery.dedup.rules.RuleSet;
import dev.refinery.runtime.http.Health;
import dev.refinery.runtime.http.HttpServer;
import dev.refinery.runtime.http.Metrics;
import dev.refinery.runtime.service.Service;
import dev.refinery.runtime.streams.InputLag;
import dev.refinery.runtime.streams.RocksDbBudget;
import dev.refinery.runtime.streams.StreamsRunner;
import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dedup-filter stage as a running Kafka Streams application ({@link StreamsRunner}: RocksDB,
 * {@code exactly_once_v2}, a record a rule throws on rejected as {@code PROCESSING_ERROR}), with
 * {@code /metrics} and {@code /health} on {@code dedup.http.port}. Start as many instances with the
 * same application id as {@code corpus.raw.v1} has partitions; they share the work.
 */
public final class DedupFilterService implements Service {
  private static final Logger LOG = LoggerFactory.getLogger(DedupFilterService.class);

  private final DedupFilterConfig config;
  private final StreamsRunner runner;
  private final DedupMetrics metrics;
  private final HttpServer http;

  private DedupFilterService(
      DedupFilterConfig config, StreamsRunner runner, DedupMetrics metrics, HttpServer http) {
    this.config = config;
    this.runner = runner;
    this.metrics = metrics;
    this.http = http;
  }

  /**
   * Builds and starts the application. A bad rule setting fails here, naming the setting; the
   * language detector is loaded here, not on the first document.
   */
  public static DedupFilterService start(DedupFilterConfig config) {
    return start(config, RuleSet.from(config));
  }

  /** Starts the application with these rules (tests plug in their own). */
  public static DedupFilterService start(DedupFilterConfig config, RuleSet rules) {
    PrometheusMeterRegistry registry = Metrics.registry();
    DedupMetrics metrics = new DedupMetrics(registry);
    if (rules.usesLanguage()) {
      long t0 = System.nanoTime();
      LanguageRule.identifier();
      LOG.info("language identifier loaded in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }
    // one admin client for what the stage asks the cluster before it starts
    int keyPartitions;
    dev.refinery.runtime.config.Replication replication;
    try (Admin admin = Admin.create(config.kafka().admin(Map.of()))) {
      // the by-key topic has raw's partitions: the keys are grouped by them
      keyPartitions =
          StreamsRunner.partitions(admin, Topics.CORPUS_RAW.name(), Topics.CORPUS_RAW.partitions());
      replication =
          StreamsRunner.resolve(admin, dev.refinery.runtime.config.Replication.from(config));
    }
    String small = smallBudget(config.rocksDbMemoryBytes(), keyPartitions);
    if (small != null) {
      LOG.warn(small);
    }
    Properties streamsConfig = streamsConfig(config, replication);
    // asked four times a second: a screening task that has read its raw partition to the end tells
    // the bucket tasks so (ReadMark), and their held answers wait on it no longer; the runner's
    // health probe reads it too, and the runner closes it
    InputLag inputLag =
        new InputLag(
            streamsConfig,
            config.applicationId(),
            DedupFilterTopology.inputTopics(config.applicationId()),
            Duration.ofMillis(250),
            "read");
    StreamsRunner runner;
    try {
      runner =
          StreamsRunner.start(
              "dedup-filter",
              DedupFilterTopology.build(
                  config,
                  rules,
                  metrics,
                  keyPartitions,
                  (partition, next, now) ->
                      Math.min(
                          now,
                          inputLag.readAt(
                              new TopicPartition(Topics.CORPUS_RAW.name(), partition), next))),
              streamsConfig,
              registry,
              config.stallTimeout(),
              inputLag);
    } catch (RuntimeException e) {
      inputLag.close();
      throw e;
    }
    for (String store : DedupFilterTopology.STORES) {
      Gauge.builder(
              "refinery.dedup.store.entries", runner.streams(), s -> approximateEntries(s, store))
          .description("Approximate entries of a state store, over the tasks of this instance")
          .tag("store", store)
          .register(registry);
    }
    RocksDbBudget.registerGauge(
        registry, "refinery.dedup.rocksdb.memory", runner.streams(), config.rocksDbMemoryBytes());
    HttpServer http = null;
    if (config.httpPort() >= 0) {
      try {
        http =
            HttpServer.builder("dedup-filter", config.http())
                .metrics(registry, () -> health(runner, config))
                .start();
      } catch (RuntimeException e) {
        runner.close();
        throw e;
      }
    }
    return new DedupFilterService(config, runner, metrics, http);
  }

  /**
   * What the stage warns of at start where its budget is less than {@link RocksDbBudget#least} for
   * the stores an instance has when it works on every partition (after a rebalance it may); null
   * where there is no budget or it is enough.
   */
  static String smallBudget(long budget, int partitions) {
    long stores = (long) partitions * DedupFilterTopology.STORES.size();
    long least = RocksDbBudget.least(stores);
    if (budget <= 0 || budget >= least) {
      return null;
    }
    return String.format(
        java.util.Locale.ROOT,
        "%s is %d MB: less than 4 MB for each of the %d stores an instance has when it works on"
            + " all %d partitions of %s; RocksDB will flush small memtables often. Give it %d MB"
            + " or more",
        DedupFilterConfig.ROCKSDB_MEMORY_BYTES,
        budget >> 20,
        stores,
        partitions,
        Topics.CORPUS_RAW.name(),
        least >> 20);
  }

  /** The Streams settings the stage runs with. */
  public static Properties streamsConfig(DedupFilterConfig config) {
    return streamsConfig(config, dev.refinery.runtime.config.Replication.from(config));
  }

  /** The Streams settings, with the replication of the internal topics on the cluster. */
  public static Properties streamsConfig(
      DedupFilterConfig config, dev.refinery.runtime.config.Replication replication) {
    Properties p =
        StreamsRunner.baseConfig(
            config.applicationId(),
            config.kafka(),
            config.stateDir(),
            config.commitIntervalMs(),
            Stage.DEDUP_FILTER,
            config.rejectedMaxBytes(),
            // documents can be large: the internal topics and the producer must take them
            Topics.LARGE_MESSAGE_BYTES,
            replication);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
    // a default, under kafka.streams.producer.compression.type: none costs a tenth less of the
    // stream thread and leaves the documents uncompressed on the brokers
    p.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
    p.putIfAbsent(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, DedupRocksDbConfig.class);
    // read by DedupRocksDbConfig, where RocksDB's stores are opened
    RocksDbBudget.configure(p, config.rocksDbMemoryBytes());
    // task idling orders a task's records across its partitions by time: the screen and the
    // gather step share a task, and the gather takes a document and its answers in any order (a
    // document's answers come after it anyway), so it orders nothing that matters here. On, it
    // stops the screen while a gather partition has records on the broker and none fetched, and
    // Kafka Streams 4.2 formats a log message with String.format each time a task has nothing
    // buffered on a partition, whatever the log level (1.9 % of the stream thread in a profile of
    // bench/run dedup)
    p.putIfAbsent(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    return p;
  }

  private static Health health(StreamsRunner runner, DedupFilterConfig config) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("application_id", config.applicationId());
    details.put("kafka", config.bootstrapServers());
    return runner.health(details);
  }

  @Override
  public String name() {
    return "dedup-filter";
  }

  @Override
  public boolean ready() {
    return runner.state() == KafkaStreams.State.RUNNING;
  }

  @Override
  public Health health() {
    return health(runner, config);
  }

  @Override
  public Map<String, URI> endpoints() {
    return http == null ? Map.of() : Map.of("metrics", http.uri().resolve("/metrics"));
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
   * RocksDB's memory outside the heap for this instance's stores, or for the process's budget where
   * {@code dedup.rocksdb.memory.bytes} sets one (what {@code refinery_dedup_rocksdb_memory_bytes}
   * shows).
   */
  public long rocksDbMemory() {
    return RocksDbBudget.memory(runner.streams(), config.rocksDbMemoryBytes());
  }

  /**
   * The records this instance's producers have sent to each store's changelog since it started, by
   * store: one for every write (a put or a delete) that reached the store's RocksDB, which is what
   * a document costs the stores, counted rather than timed.
   */
  public Map<String, Long> changelogRecords() {
    Map<String, Long> sent = new TreeMap<>();
    for (var e : runner.streams().metrics().entrySet()) {
      var name = e.getKey();
      String topic = name.tags().get("topic");
      if (name.name().equals("record-send-total")
          && name.group().equals("producer-topic-metrics")
          && topic != null
          && topic.endsWith("-changelog")) {
        for (String store : DedupFilterTopology.STORES) {
          if (topic.endsWith("-" + store + "-changelog")
              && e.getValue().metricValue() instanceof Number n) {
            sent.merge(store, n.longValue(), Long::sum);
          }
        }
      }
    }
    return sent;
  }

  /**
   * The entries of one of this instance's stores and the bytes of their keys and values as stored
   * (RocksDB adds its own per-entry overhead and then compresses); {@code null} while the store
   * cannot be queried (starting, rebalancing).
   */
  public long[] storeSize(String store) {
    try {
      ReadOnlyKeyValueStore<Object, Object> kv =
          runner
              .streams()
              .store(
                  StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.keyValueStore()));
      long entries = 0;
      long bytes = 0;
      try (var it = kv.all()) {
        while (it.hasNext()) {
          var e = it.next();
          entries++;
          bytes += sizeOf(e.key) + sizeOf(e.value);
        }
      }
      return new long[] {entries, bytes};
    } catch (InvalidStateStoreException e) {
      return null;
    }
  }

  private static long sizeOf(Object o) {
    if (o instanceof byte[] b) {
      return b.length;
    }
    if (o instanceof org.apache.kafka.common.utils.Bytes b) {
      return b.get().length;
    }
    return o == null ? 0 : o.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
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
            runner
                .streams()
                .store(
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
    return runner.state();
  }

  /** The active tasks (partitions of work) this instance runs now. */
  public int activeTasks() {
    return runner.streams().metadataForLocalThreads().stream()
        .mapToInt(t -> t.activeTasks().size())
        .sum();
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
    runner.awaitRunning(timeout);
  }

  /**
   * Stops, leaving the group, so the partitions move to the other instances (or a restart) at once.
   */
  @Override
  public void close() {
    if (http != null) {
      http.close();
    }
    runner.close();
  }
}
