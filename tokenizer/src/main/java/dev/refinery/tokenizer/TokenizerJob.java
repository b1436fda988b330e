package dev.refinery.tokenizer;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.config.RefineryConfig;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokenizer as a Flink job:
 *
 * <pre>
 * corpus.clean.v1 ─▶ decode-tokenize ─▶ keyBy(stream) ─▶ pack-sequences ─▶ tokens.&lt;stream&gt;.v1
 *   (clean-source)        └─ rejected ─────────────────────────────────────▶ corpus.rejected.v1
 *
 * feedback.rm-pairs.v1 ─▶ keyBy(prompt) ─▶ gather-pair-sets ─▶ pack-pairs ─▶ tokens.&lt;preference&gt;.v1
 *   (pairs-source)                            └─ rejected ───────────────▶ corpus.rejected.v1
 * </pre>
 *
 * The second line runs where {@code tokenizer.preference.stream} names a stream: reward-model and
 * DPO batches, a prompt's pairs together (see {@link PairBatches}).
 *
 * <p>Source offsets and packer state go into the same checkpoint, and both sinks are transactional
 * Kafka sinks committed on checkpoints, so each document ends in exactly one batch span or one
 * rejection, across failures. Every operator has a {@code uid} so savepoints restore across
 * upgrades.
 *
 * <p>Source and sinks are given to the constructor: tests plug in their own.
 */
public final class TokenizerJob {
  public static final String JOB_NAME = "refinery-tokenizer";
  public static final String SOURCE_UID = "clean-source";
  public static final String TOKENIZE_UID = "decode-tokenize";
  public static final String ROUTE_UID = "route-rejections";
  public static final String PACK_UID = "pack-sequences";
  public static final String BATCH_SINK_UID = "batches-sink";
  public static final String REJECTED_SINK_UID = "rejected-sink";
  public static final String PAIRS_SOURCE_UID = "pairs-source";
  public static final String PAIR_SETS_UID = "gather-pair-sets";
  public static final String PACK_PAIRS_UID = "pack-pairs";

  private static final Logger LOG = LoggerFactory.getLogger(TokenizerJob.class);

  private final TokenizerConfig config;
  private final Source<RawRecord, ?, ?> source;
  private final Source<RawRecord, ?, ?> pairs;
  private final Sink<TokenBatch> batches;
  private final Sink<RejectedDocument> rejected;

  /**
   * Between tokenizing and packing: the identity, but for the tests that make the job fail there.
   */
  java.util.function.UnaryOperator<DataStream<TokenizedDocument>> afterTokenize = s -> s;

  public TokenizerJob(
      TokenizerConfig config,
      Source<RawRecord, ?, ?> source,
      Sink<TokenBatch> batches,
      Sink<RejectedDocument> rejected) {
    this(config, source, null, batches, rejected);
  }

  /** With {@code pairs}, the preference pairs in (null: no preference batches). */
  public TokenizerJob(
      TokenizerConfig config,
      Source<RawRecord, ?, ?> source,
      Source<RawRecord, ?, ?> pairs,
      Sink<TokenBatch> batches,
      Sink<RejectedDocument> rejected) {
    this.config = config;
    this.source = source;
    this.pairs = pairs;
    this.batches = batches;
    this.rejected = rejected;
  }

  /**
   * The job on Kafka: corpus.clean.v1 in ({@code read_committed}), token topics and rejections out.
   */
  public static TokenizerJob onKafka(TokenizerConfig config) {
    boolean pairs = preferenceTopicExists(config);
    return new TokenizerJob(
        config,
        kafkaSource(config, Topics.CORPUS_CLEAN.name(), config.groupId()),
        pairs
            ? kafkaSource(config, Topics.FEEDBACK_RM_PAIRS.name(), config.preferenceGroupId())
            : null,
        KafkaSinks.batches(config, pairs),
        KafkaSinks.rejected(config));
  }

  /**
   * Whether the preference stream's topic is there to write. Without it the job runs without its
   * preference line, and says so, rather than failing every checkpoint on a topic an operator who
   * trains no reward model never made.
   */
  static boolean preferenceTopicExists(TokenizerConfig config) {
    String stream = config.preferenceStream();
    if (stream.isEmpty()) {
      return false;
    }
    String topic = Topics.tokens(stream).name();
    try (Admin admin = Admin.create(config.kafka().admin(Map.of()))) {
      admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        LOG.warn(
            "{} does not exist: preference pairs ({}) are not tokenized. Create it with `refinery"
                + " topics`, or set {}= to turn the preference stream off.",
            topic,
            Topics.FEEDBACK_RM_PAIRS.name(),
            TokenizerConfig.PREFERENCE_STREAM);
        return false;
      }
      throw new IllegalStateException("cannot look up " + topic + ": " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted looking up " + topic, e);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "cannot reach Kafka at " + config.bootstrapServers() + " to look up " + topic, e);
    }
  }

  static KafkaSource<RawRecord> kafkaSource(TokenizerConfig config, String topic, String groupId) {
    return KafkaSource.<RawRecord>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setTopics(topic)
        .setGroupId(groupId)
        .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
        .setDeserializer(new RawRecordDeserializer())
        .setProperties(config.kafka().flink(KafkaClients.Role.CONSUMER))
        .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
        .setProperty("partition.discovery.interval.ms", "30000")
        .setProperty("commit.offsets.on.checkpoint", "true")
        .build();
  }

  /** Adds the pipeline to an environment. */
  public void addTo(StreamExecutionEnvironment env) {
    TokenizerSpec spec = config.tokenizerSpec();
    env.enableCheckpointing(config.checkpointIntervalMs(), CheckpointingMode.EXACTLY_ONCE);
    // chained operators hand records on without a deep copy: none of ours keeps or changes a record
    // it has emitted or received (the async tokenizer copies its input itself when reuse is on,
    // and every input read from the network is a new object). The deep copy of every token batch
    // on its way to the sink took 8 % of the packing thread. (Flink still copies where one
    // operator feeds two, as route-rejections feeds the packer and the rejected sink.)
    env.getConfig().enableObjectReuse();
    ChatTemplate template = config.chatTemplate();
    int threads = config.tokenizeThreads();
    TokenizeFunction tokenize =
        new TokenizeFunction(
            spec,
            template,
            config.imageTokens(),
            config.seqLen(),
            config.streams(),
            config.rejectedMaxBytes(),
            threads);
    DataStream<RawRecord> records =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), SOURCE_UID).uid(SOURCE_UID);
    // on the task thread (see InlineTokenize), or in parallel within the slot and handed on in the
    // order read (the packer sees what one thread would have given it), the documents in flight in
    // the checkpoint; both under one uid, so a job may restart with another number of threads
    SingleOutputStreamOperator<TokenizedDocument> tokenized =
        (threads == 1
                ? records.transform(
                    TOKENIZE_UID,
                    TypeInformation.of(TokenizedDocument.class),
                    new InlineTokenize(tokenize))
                : AsyncDataStream.orderedWait(
                    records, tokenize, 10, TimeUnit.MINUTES, threads * 2 * TokenizeFunction.RUN))
            .name(TOKENIZE_UID)
            .uid(TOKENIZE_UID)
            .process(new RouteRejections())
            .name(ROUTE_UID)
            .uid(ROUTE_UID);
    DataStream<RejectedDocument> rejections = tokenized.getSideOutput(TokenizeFunction.REJECTED);
    DataStream<TokenBatch> out =
        afterTokenize
            .apply(tokenized)
            .keyBy(doc -> doc.stream)
            .process(
                new PackFunction(
                    spec,
                    config.packing(),
                    config.seqLen(),
                    config.labelToken(),
                    config.batchSequences(),
                    config.packWindow(),
                    config.flushIdleMs()))
            .name(PACK_UID)
            .uid(PACK_UID);
    String preference = config.preferenceStream();
    if (pairs != null && !preference.isEmpty()) {
      SingleOutputStreamOperator<PairSet> sets =
          env.fromSource(pairs, WatermarkStrategy.noWatermarks(), PAIRS_SOURCE_UID)
              .uid(PAIRS_SOURCE_UID)
              .keyBy(r -> r.key == null ? "" : r.key)
              .process(new PairSetFunction(spec, template, config.rejectedMaxBytes()))
              .name(PAIR_SETS_UID)
              .uid(PAIR_SETS_UID);
      rejections = rejections.union(sets.getSideOutput(TokenizeFunction.REJECTED));
      out =
          out.union(
              sets.keyBy(s -> preference)
                  .process(
                      new PairPackFunction(
                          spec,
                          config.seqLen(),
                          config.labelToken(),
                          config.preferenceBatchPairs(),
                          config.flushIdleMs()))
                  .name(PACK_PAIRS_UID)
                  .uid(PACK_PAIRS_UID));
    }
    rejections.sinkTo(rejected).name(REJECTED_SINK_UID).uid(REJECTED_SINK_UID);
    out.sinkTo(batches).name(BATCH_SINK_UID).uid(BATCH_SINK_UID);
  }

  /**
   * Runs the job on a local Flink MiniCluster in this JVM, resuming from the newest retained
   * checkpoint in {@code tokenizer.checkpoint.dir} if there is one.
   */
  public JobClient startLocal() throws Exception {
    Configuration flink = new Configuration();
    Path checkpoints = config.checkpointDir().toAbsolutePath();
    Files.createDirectories(checkpoints);
    flink.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
    flink.set(
        CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    if (config.metricsPort() >= 0) {
      // the job's metrics (per stream: documents, tokens, padding, cuts) as Prometheus text
      flink.setString(
          "metrics.reporter.prom.factory.class",
          "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
      flink.setString("metrics.reporter.prom.port", String.valueOf(config.metricsPort()));
    }
    Optional<Path> latest = latestCheckpoint(checkpoints);
    latest.ifPresent(
        p -> {
          LOG.info("tokenizer resumes from checkpoint {}", p);
          flink.set(StateRecoveryOptions.SAVEPOINT_PATH, p.toUri().toString());
          deleteOtherJobs(checkpoints, p.getParent());
        });
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(config.parallelism(), flink);
    addTo(env);
    return env.executeAsync(JOB_NAME);
  }

  /** The newest completed checkpoint ({@code chk-N} with its {@code _metadata}) under a folder. */
  static Optional<Path> latestCheckpoint(Path root) {
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> files = Files.walk(root, 3)) {
      return files
          .filter(p -> p.getFileName().toString().equals("_metadata"))
          .map(Path::getParent)
          .filter(p -> p.getFileName().toString().startsWith("chk-"))
          .max(Comparator.comparingLong(TokenizerJob::modified));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + root, e);
    }
  }

  /**
   * Checkpoints of earlier runs than the one resumed from are obsolete: each run is a new job id.
   */
  private static void deleteOtherJobs(Path root, Path keep) {
    try (Stream<Path> jobs = Files.list(root)) {
      for (Path job : jobs.filter(j -> !j.equals(keep) && Files.isDirectory(j)).toList()) {
        try (Stream<Path> walk = Files.walk(job)) {
          for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
    } catch (IOException e) {
      LOG.warn("could not delete obsolete checkpoints in {}: {}", root, e.toString());
    }
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p.resolve("_metadata")).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Entry point for {@code flink run}: settings from {@code --config FILE} (a properties file) and
   * the environment.
   */
  public static void main(String[] args) throws Exception {
    Path file = args.length == 2 && args[0].equals("--config") ? Path.of(args[1]) : null;
    TokenizerConfig config =
        new TokenizerConfig(
            RefineryConfig.sources(
                TokenizerConfig.DEFINITION, file, System.getenv(), java.util.Map.of()));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    onKafka(config).addTo(env);
    env.execute(JOB_NAME);
  }
}
