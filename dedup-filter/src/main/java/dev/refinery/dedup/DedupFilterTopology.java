package dev.refinery.dedup;

import dev.refinery.dedup.rules.RuleSet;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The dedup-filter topology. Three steps, each spread over the partitions, so that more instances
 * share every step:
 *
 * <pre>
 *                     [corpus.takedowns.v1 ─▶ global store dedup-takedowns]
 *                                     │ (lookup)
 * corpus.raw.v1 ─▶ screen ─┬─ undecodable ───────────────────────────────────────────▶ corpus.rejected.v1
 *   (by doc id)            ├─ keys ─▶ [dedup-by-key] ─▶ bucket ──┐ answers, one record
 *                          │  exact, URL, 14 bands,     dedup-smallest,  a batch
 *                          │  replay: one record        dedup-pending
 *                          │  a partition
 *                          │                                     ▼ [dedup-gather], to the
 *                          │                                     │ document's raw partition
 *                          └─ document or its rejection ─────────┴▶ gather ─┬─▶ corpus.clean.v1
 *                               (in memory: the same task)  dedup-gathering, └─▶ corpus.rejected.v1
 *                                                           dedup-documents
 * </pre>
 *
 * <ul>
 *   <li><b>screen</b> (by raw partition): decodes, applies takedowns and the rules of the
 *       document's source, and computes its keys; once its partition is read to its end, tells
 *       every bucket task so ({@link ReadMark}).
 *   <li><b>bucket</b> (by dedup key): keeps the smallest (event time, id) document of every key
 *       ever seen and answers each document, after a hold, with the smaller holder if there is one.
 *   <li><b>gather</b> (by raw partition, in the task that screened the document): waits for the
 *       answers of the document's keys, then decides. The document does not travel: only the
 *       answers go through a topic, to the raw partition their key names.
 * </ul>
 *
 * Every processor, internal topic and store is named, so an upgrade keeps its state.
 */
public final class DedupFilterTopology {
  /** Global store: takedowns by {@code <scope>:<value>}. */
  public static final String TAKEDOWN_STORE = "dedup-takedowns";

  /** RocksDB store: dedup key to the smallest (event time, id) document that has held it. */
  public static final String SMALLEST_STORE = "dedup-smallest";

  /** RocksDB store: answers waiting for their hold to pass, ordered by due time. */
  public static final String PENDING_STORE = "dedup-pending";

  /** RocksDB store: what has been gathered of each undecided document (its answers so far). */
  public static final String GATHER_STORE = "dedup-gathering";

  /** RocksDB store: undecided documents, waiting for their answers. */
  public static final String DOCUMENT_STORE = "dedup-documents";

  /** Repartition topic (suffix) that brings every holder of a dedup key to one task. */
  public static final String BY_KEY = "dedup-by-key";

  /** Repartition topic (suffix) that brings a document and its answers to one task. */
  public static final String GATHER = "dedup-gather";

  /** The stores whose sizes {@code /metrics} reports. */
  public static final List<String> STORES =
      List.of(SMALLEST_STORE, PENDING_STORE, GATHER_STORE, DOCUMENT_STORE, TAKEDOWN_STORE);

  private DedupFilterTopology() {}

  /** Every topic the application reads in its group: raw and its two repartition topics. */
  public static java.util.Set<String> inputTopics(String applicationId) {
    return java.util.Set.of(
        Topics.CORPUS_RAW.name(),
        applicationId + "-" + BY_KEY + "-repartition",
        applicationId + "-" + GATHER + "-repartition");
  }

  /**
   * Where a record of {@code dedup-by-key} goes: a {@link ReadMark} to every partition, anything
   * else where the producer puts its key.
   */
  static Optional<Set<Integer>> byKeyPartitions(
      String topic, String key, byte[] value, int partitions) {
    if (!ReadMark.is(value)) {
      return Optional.empty();
    }
    return Optional.of(
        IntStream.range(0, partitions).boxed().collect(Collectors.toUnmodifiableSet()));
  }

  /** The gather topic's name on the cluster, as Kafka Streams names the repartition topic. */
  static String gatherTopic(String applicationId) {
    return applicationId + "-" + GATHER + "-repartition";
  }

  /**
   * Where a record of the gather topic goes: to the partition of {@code corpus.raw.v1} its document
   * was read from, named in its key ({@code <doc id>@<partition>:<offset>}), whose task screened
   * the document and gathers it. A key without one goes where the producer hashes it.
   */
  static Optional<Set<Integer>> gatherPartitions(
      String topic, String key, byte[] value, int partitions) {
    int partition = rawPartition(key, partitions);
    return partition < 0 ? Optional.empty() : Optional.of(Set.of(partition));
  }

  /**
   * The task that gathers the document of a gather key among {@code partitions}: the raw partition
   * its key names, else where Kafka's producer puts the key by its hash.
   */
  static int gatherPartition(String key, int partitions) {
    int partition = rawPartition(key, partitions);
    return partition >= 0 ? partition : KeyBatch.partitionOf(key, partitions);
  }

  /** The raw partition a gather key names, if it names one below {@code partitions}; else -1. */
  private static int rawPartition(String key, int partitions) {
    int partition = ReadProgress.partitionOf(key.substring(key.lastIndexOf('@') + 1));
    return partition < partitions ? partition : -1;
  }

  public static Topology build(DedupFilterConfig config, DedupMetrics metrics) {
    return build(config, RuleSet.from(config), metrics);
  }

  /**
   * When the stage had read a partition of {@code corpus.raw.v1} to its end, for the {@link
   * ReadMark}s its screening tasks send.
   */
  @FunctionalInterface
  public interface RawReadAt {
    /**
     * @param next the offset after the last record of the partition the caller has read; -1 where
     *     it has read none since it started
     * @param now the caller's clock
     * @return the latest moment, no later than {@code now}, at which a reader at {@code next} had
     *     read everything of the partition; {@link Long#MIN_VALUE} where not known
     */
    long readAt(int partition, long next, long now);

    /** Never known: held answers wait on the keys of every partition, or the longest hold. */
    RawReadAt UNKNOWN = (partition, next, now) -> Long.MIN_VALUE;
  }

  /**
   * The topology, with as many partitions of {@code dedup-by-key} as the catalog gives raw, never
   * told that a partition has been read to its end (a held answer waits until every partition's
   * keys are read past it, or {@code dedup.hold.max.ms}).
   */
  public static Topology build(DedupFilterConfig config, RuleSet rules, DedupMetrics metrics) {
    return build(config, rules, metrics, Topics.CORPUS_RAW.partitions(), RawReadAt.UNKNOWN);
  }

  /**
   * The topology.
   *
   * @param keyPartitions the partitions of {@code dedup-by-key}: those of {@code corpus.raw.v1} on
   *     the cluster, which Kafka Streams gave it when it was created. A document's keys are grouped
   *     by them ({@link KeyBatch}), so they must be the topic's.
   * @param readAt when the stage had read a partition of raw to its end: its screening task then
   *     tells every bucket task so ({@link ReadMark}), and held answers wait on it no longer
   */
  public static Topology build(
      DedupFilterConfig config,
      RuleSet rules,
      DedupMetrics metrics,
      int keyPartitions,
      RawReadAt readAt) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TAKEDOWN_STORE),
                Serdes.String(),
                Topics.CORPUS_TAKEDOWNS.valueSerde())
            .withLoggingDisabled(),
        Topics.CORPUS_TAKEDOWNS.name(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("takedowns-in"),
        () -> new TakedownLoader(metrics));
    // not cached: almost every key is written once (a new dedup key, a held answer, a waiting
    // document), so Streams' record cache saved few changelog records and cost more than it
    // saved: a sorted map and an LRU list on every read and write, flushes at every commit, and
    // merged iterators for the held answers' range scans. Without it a document took 0.66 ms of
    // the stream thread instead of 0.76-0.83 (bench/run dedup --docs 20000 --warmup-docs 5000).
    // A document's answers now reach the gathering store's changelog one by one.
    for (String store : List.of(GATHER_STORE, DOCUMENT_STORE)) {
      builder.addStateStore(
          Stores.keyValueStoreBuilder(
                  Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.ByteArray())
              .withCachingDisabled());
    }
    // binary keys: DedupKey.storeKey and BucketProcessor.pendingKey; the string keys an earlier
    // build kept in dedup-smallest are read as the same bytes they were written as
    for (String store : List.of(SMALLEST_STORE, PENDING_STORE)) {
      builder.addStateStore(
          Stores.keyValueStoreBuilder(
                  Stores.persistentKeyValueStore(store), Serdes.Bytes(), Serdes.ByteArray())
              .withCachingDisabled());
    }
    Produced<String, RejectedDocument> toRejected =
        Produced.with(Serdes.String(), Topics.CORPUS_REJECTED.valueSerde());

    Map<String, KStream<String, Routed>> screened =
        builder.stream(
                Topics.CORPUS_RAW.name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("raw-in"))
            .process(
                () -> new ScreenProcessor(config, rules, metrics, keyPartitions, readAt),
                Named.as("screen"))
            .split(Named.as("screened-"))
            .branch((k, v) -> v instanceof Routed.Rejected, Branched.as("rejected"))
            .branch((k, v) -> v instanceof Routed.ToKey, Branched.as("keys"))
            .defaultBranch(Branched.as("documents"));

    screened
        .get("screened-rejected")
        .mapValues(v -> ((Routed.Rejected) v).rejection(), Named.as("screen-rejection"))
        .to(Topics.CORPUS_REJECTED.name(), toRejected.withName("screen-rejected-out"));

    KStream<String, byte[]> answers =
        screened
            .get("screened-keys")
            .mapValues(v -> ((Routed.ToKey) v).member(), Named.as("key-member"))
            .repartition(
                Repartitioned.with(Serdes.String(), Serdes.ByteArray())
                    .withName(BY_KEY)
                    .withNumberOfPartitions(keyPartitions)
                    .withStreamPartitioner(DedupFilterTopology::byKeyPartitions))
            .process(
                () ->
                    new BucketProcessor(
                        config.holdMs(),
                        config.holdMaxMs(),
                        config.holdAnswersPerPass(),
                        config.expireAfterMs(),
                        config.imageNearDistance(),
                        config.imageBandHolders(),
                        keyPartitions,
                        config.keyCacheBytes()),
                Named.as("bucket"),
                SMALLEST_STORE,
                PENDING_STORE);

    // the document stays in the task that screened it (raw partition p) and is gathered there; only
    // the answers travel, to partition p of the gather topic, so a document is not written to a
    // topic again between raw and clean
    Produced<String, byte[]> toGather =
        Produced.with(Serdes.String(), Serdes.ByteArray())
            .withStreamPartitioner(DedupFilterTopology::gatherPartitions);
    Map<String, KStream<String, Verdict>> decided =
        screened
            .get("screened-documents")
            .mapValues(v -> ((Routed.ToGather) v).message(), Named.as("document-message"))
            .merge(
                answers.repartition(
                    Repartitioned.with(Serdes.String(), Serdes.ByteArray())
                        .withName(GATHER)
                        .withNumberOfPartitions(keyPartitions)
                        .withStreamPartitioner(DedupFilterTopology::gatherPartitions)),
                Named.as("document-and-answers"))
            .process(
                () -> new GatherProcessor(config, metrics, keyPartitions),
                Named.as("gather"),
                GATHER_STORE,
                DOCUMENT_STORE)
            .split(Named.as("decided-"))
            .branch((k, v) -> v.elsewhere() != null, Branched.as("elsewhere"))
            .branch((k, v) -> !v.accepted(), Branched.as("rejected"))
            .defaultBranch(Branched.as("clean"));

    // what reached a task that does not gather its document (written by an earlier build, which
    // spread documents over the gather topic by the hash of their key) goes on to the one that does
    decided
        .get("decided-elsewhere")
        .mapValues(Verdict::elsewhere, Named.as("gather-elsewhere"))
        .to(gatherTopic(config.applicationId()), toGather.withName("gather-elsewhere-out"));
    decided
        .get("decided-rejected")
        .mapValues(Verdict::rejection, Named.as("dedup-rejection"))
        .to(Topics.CORPUS_REJECTED.name(), toRejected.withName("dedup-rejected-out"));
    decided
        .get("decided-clean")
        // the bytes the document came in where they are already what the clean topic takes: a
        // clean document is then not encoded again (Avro: 0.01 ms of a 2 KB document's 0.5)
        .mapValues(Verdict::cleanBytes, Named.as("clean-document"))
        .to(
            Topics.CORPUS_CLEAN.name(),
            Produced.with(Serdes.String(), Serdes.ByteArray()).withName("clean-out"));
    return builder.build();
  }
}
