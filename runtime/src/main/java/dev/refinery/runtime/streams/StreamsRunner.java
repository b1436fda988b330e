package dev.refinery.runtime.streams;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.config.Replication;
import dev.refinery.runtime.http.Health;
import dev.refinery.schemas.Stage;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
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
  private final StallWatch stall;
  private final InputLag inputLag;

  /** Whether a topic is one of the application's own (repartition topics, changelogs). */
  private final Predicate<String> internal;

  private StreamsRunner(
      String name,
      KafkaStreams streams,
      KafkaStreamsMetrics metrics,
      Duration stallTimeout,
      InputLag inputLag,
      String applicationId) {
    this.name = name;
    this.streams = streams;
    this.metrics = metrics;
    this.stall = new StallWatch(stallTimeout, System.nanoTime());
    this.inputLag = inputLag;
    this.internal = topic -> topic.startsWith(applicationId + "-");
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
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    // tuning a kafka.streams.* setting may change
    Properties tuning = new Properties();
    // a transaction's first send often meets the last one's markers still being written
    // (CONCURRENT_TRANSACTIONS); retry it after 10 ms rather than the default 100 ms
    tuning.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 10);
    // under load a batch goes when it is full, before its linger or the commit: at the default
    // 16 KB a few of a stage's documents filled one, and each new batch woke the producer's I/O
    // thread (a system call on the stream thread) and began an LZ4 frame. At 256 KB,
    // dedup-filter's stream thread took 0.50-0.54 ms a document instead of 0.58-0.63, its
    // producer's I/O thread 0.05 of a core instead of 0.13, the broker 0.18 instead of 0.27
    // (bench/run dedup, runs taking turns). A record over it still goes in a batch of its own.
    tuning.put(
        StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG),
        Math.min(256 * 1024, maxMessageBytes));
    tuning.put(StreamsConfig.topicPrefix("max.message.bytes"), maxMessageBytes);
    tuning.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), maxMessageBytes);
    tuning.putAll(SCALE_OUT);
    // the cluster and its client settings (TLS, SASL, kafka.streams.*) over the tuning, under
    // the stage's own
    return clients.streams(tuning, p);
  }

  /**
   * Rebalancing and restore that take effect in seconds rather than Kafka Streams' defaults: a new
   * instance is probed for after 1 minute (not 10) and gets active tasks once caught up; each task
   * keeps a warm standby on another instance, so a crashed instance's work moves without restoring
   * its state from the changelog; an instance that vanished is noticed after 15 s (not 45). Each is
   * a {@code kafka.streams.*} setting to change.
   */
  public static final Map<String, Object> SCALE_OUT =
      Map.of(
          StreamsConfig.PROBING_REBALANCE_INTERVAL_MS_CONFIG,
          60_000,
          StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG,
          1,
          StreamsConfig.ACCEPTABLE_RECOVERY_LAG_CONFIG,
          10_000L,
          StreamsConfig.MAX_WARMUP_REPLICAS_CONFIG,
          2,
          StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
          15_000,
          StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
          3_000);

  /** Suffix, under a Streams stage's prefix, of its stall timeout. */
  public static final String STALL_TIMEOUT_MS = "stall.timeout.ms";

  /** Adds {@code <prefix>stall.timeout.ms} to a Streams stage's definition. */
  public static org.apache.kafka.common.config.ConfigDef defineStallTimeout(
      org.apache.kafka.common.config.ConfigDef definition, String prefix) {
    return definition.define(
        prefix + STALL_TIMEOUT_MS,
        org.apache.kafka.common.config.ConfigDef.Type.LONG,
        300_000L,
        org.apache.kafka.common.config.ConfigDef.Range.atLeast(0),
        org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM,
        "/health turns DOWN (503) when the stage has input waiting and has processed nothing for"
            + " this long, so an orchestrator restarts it; 0: never.");
  }

  /** The replication of the internal topics on the cluster the clients reach. */
  public static Replication resolve(KafkaClients clients, Replication replication) {
    if (replication.factor() > 0 && replication.minInsyncReplicas() > 0) {
      return replication.resolve(replication.factor());
    }
    try (Admin admin = Admin.create(clients.admin(java.util.Map.of()))) {
      return resolve(admin, replication);
    }
  }

  /** As {@link #resolve(KafkaClients, Replication)}, with an admin client the caller holds. */
  public static Replication resolve(Admin admin, Replication replication) {
    if (replication.factor() > 0 && replication.minInsyncReplicas() > 0) {
      return replication.resolve(replication.factor());
    }
    return replication.resolve(admin);
  }

  /**
   * The partitions {@code topic} has on the cluster, or {@code fallback} where it does not exist
   * (yet): what a stage that groups by an internal topic's partitions needs before it starts.
   */
  public static int partitions(Admin admin, String topic, int fallback) {
    try {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(30, TimeUnit.SECONDS)
          .get(topic)
          .partitions()
          .size();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return fallback;
      }
      throw new IllegalStateException(
          "could not describe " + topic + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "could not describe " + topic + " within 30 s: is Kafka reachable?", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing " + topic, e);
    }
  }

  /**
   * The meter of the input partitions held by a transaction left open ({@link InputLag#held}), by
   * stage: {@code refinery_streams_input_held_partitions{stage="dedup-filter"}}.
   */
  public static final String HELD_PARTITIONS = "refinery.streams.input.held.partitions";

  /** Builds the application, binds its metrics to {@code registry} and starts it. */
  public static StreamsRunner start(
      String name, Topology topology, Properties config, MeterRegistry registry) {
    return start(name, topology, config, registry, Duration.ofMinutes(5));
  }

  /**
   * As {@link #start(String, Topology, Properties, MeterRegistry)}; its health goes DOWN when it
   * has input waiting and processes nothing for {@code stallTimeout} (0: never). The cluster's view
   * of the input waiting is asked every 15 s.
   */
  public static StreamsRunner start(
      String name,
      Topology topology,
      Properties config,
      MeterRegistry registry,
      Duration stallTimeout) {
    String applicationId = config.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
    java.util.Set<String> inputs = new java.util.TreeSet<>();
    for (var sub : topology.describe().subtopologies()) {
      for (var node : sub.nodes()) {
        if (node instanceof org.apache.kafka.streams.TopologyDescription.Source source
            && source.topicSet() != null) {
          source.topicSet().stream()
              .filter(t -> !t.startsWith(applicationId + "-"))
              .forEach(inputs::add);
        }
      }
    }
    InputLag lag =
        stallTimeout.isZero() || inputs.isEmpty()
            ? null
            : new InputLag(config, applicationId, inputs, Duration.ofSeconds(15), "lag");
    try {
      return start(name, topology, config, registry, stallTimeout, lag);
    } catch (RuntimeException e) {
      if (lag != null) {
        lag.close();
      }
      throw e;
    }
  }

  /**
   * As {@link #start(String, Topology, Properties, MeterRegistry, Duration)}, with the cluster's
   * view of the input waiting from an {@link InputLag} the caller already keeps (null: none), which
   * the runner closes when it closes: a stage that asks for it often for its own use is not asked a
   * second time for the health probe.
   */
  public static StreamsRunner start(
      String name,
      Topology topology,
      Properties config,
      MeterRegistry registry,
      Duration stallTimeout,
      InputLag inputLag) {
    StaleStores.remove(topology, config);
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
    if (inputLag != null) {
      Gauge.builder(HELD_PARTITIONS, inputLag, l -> l.held().size())
          .description(
              "Input partitions a transaction left open has held for a minute or more (/health"
                  + " names them)")
          .tag("stage", name)
          .register(registry);
    }
    streams.start();
    return new StreamsRunner(
        name,
        streams,
        metrics,
        stallTimeout,
        inputLag,
        config.getProperty(StreamsConfig.APPLICATION_ID_CONFIG));
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

  /**
   * Health: up while running and not stalled (input waiting, nothing processed for the stall
   * timeout); the state, the lag, what it processed and the given details in the body. {@code lag}
   * is the records waiting on the topics others write (what the stage has yet to read), {@code
   * internal_lag} those in flight between its own steps through its repartition topics, which a
   * running stage always has some of (dedup-filter's read marks, four a second from each screening
   * task to each key partition): an idle stage shows {@code "lag": 0}. A stall is judged on both.
   */
  public Health health(Map<String, Object> details) {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("state", streams.state().name());
    var m = streams.metrics();
    long input = StallWatch.lag(m, internal.negate());
    long between = StallWatch.lag(m, internal);
    // every partition is one or the other: the whole, without reading the metrics a third time
    long waiting = input + between;
    if (inputLag != null) {
      // the cluster's view too: partitions whose tasks never fetched show no consumer lag
      waiting = Math.max(waiting, inputLag.get());
      input = Math.max(input, inputLag.get(internal.negate()));
      between = Math.max(between, inputLag.get(internal));
    }
    StallWatch.Verdict v = stall.observe(StallWatch.processed(m), waiting, System.nanoTime());
    all.put("lag", input);
    all.put("internal_lag", between);
    all.put("processed", v.processed());
    if (v.stalled()) {
      all.put(
          "stalled",
          "nothing processed for "
              + v.idle().toSeconds()
              + " s with "
              + v.lag()
              + " records waiting; restart it (and see docs/operations.md)");
    }
    if (inputLag != null) {
      // not the stage's fault, and a restart of it would not help: up, and saying what holds it
      List<String> held = inputLag.held();
      if (!held.isEmpty()) {
        all.put("held_by_open_transactions", held);
      }
    }
    all.putAll(details);
    return new Health(running() && !v.stalled(), all);
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
    if (inputLag != null) {
      inputLag.close();
    }
  }
}
