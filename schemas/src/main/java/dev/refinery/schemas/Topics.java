package dev.refinery.schemas;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The topic catalog: the one place that names a topic, its key and value types, partitions,
 * retention and cleanup policy (DESIGN.md, "Topics"). {@code infra} creates them all.
 */
public final class Topics {
  private static final Serde<String> KEYS = Serdes.String();
  private static final Pattern STREAM = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  /**
   * Largest record the document and token topics take (8 MiB): a long book is a few MiB of text, a
   * batch of long sequences a few MiB of ids. Their producers set {@code max.request.size} to this.
   */
  public static final int LARGE_MESSAGE_BYTES = 8 * 1024 * 1024;

  /** Largest record of the other topics (1 MiB, Kafka's default). */
  public static final int MAX_MESSAGE_BYTES = 1024 * 1024;

  /** Documents as ingested, keyed by doc id. */
  public static final TopicBinding<String, Document> CORPUS_RAW =
      new TopicBinding<>(
          "corpus.raw.v1",
          KEYS,
          new AvroSerde<>(Document.class),
          4,
          CleanupPolicy.DELETE,
          Duration.ofDays(7),
          LARGE_MESSAGE_BYTES);

  /** Documents that passed dedup and filters, with their quality signals, keyed by doc id. */
  public static final TopicBinding<String, Document> CORPUS_CLEAN =
      new TopicBinding<>(
          "corpus.clean.v1",
          KEYS,
          new AvroSerde<>(Document.class),
          4,
          CleanupPolicy.DELETE,
          Duration.ofDays(7),
          LARGE_MESSAGE_BYTES);

  /** Every refusal of every stage, with its reason and bounded original bytes, keyed by doc id. */
  public static final TopicBinding<String, RejectedDocument> CORPUS_REJECTED =
      new TopicBinding<>(
          "corpus.rejected.v1",
          KEYS,
          new AvroSerde<>(RejectedDocument.class),
          4,
          CleanupPolicy.DELETE,
          Duration.ofDays(90),
          LARGE_MESSAGE_BYTES);

  /**
   * Images by content: the bytes of each image once, keyed by their SHA-256; compacted, kept
   * forever. Documents carry references ({@link ImageRef}), never the bytes.
   */
  public static final TopicBinding<String, Image> CORPUS_IMAGES =
      new TopicBinding<>(
          "corpus.images.v1",
          KEYS,
          new AvroSerde<>(Image.class),
          4,
          CleanupPolicy.COMPACT,
          null,
          LARGE_MESSAGE_BYTES);

  /** Per-step figures of trainer ranks, keyed by run id. */
  public static final TopicBinding<String, TrainerMetric> TRAINER_METRICS =
      new TopicBinding<>(
          "trainer.metrics.v1",
          KEYS,
          new AvroSerde<>(TrainerMetric.class),
          4,
          CleanupPolicy.DELETE,
          Duration.ofDays(90),
          MAX_MESSAGE_BYTES);

  /** Data positions bound to model checkpoints, keyed by {@code <run id>/<step>}; compacted. */
  public static final TopicBinding<String, DataCheckpoint> TRAINER_CHECKPOINTS =
      new TopicBinding<>(
          "trainer.checkpoints.v1",
          KEYS,
          new AvroSerde<>(DataCheckpoint.class),
          4,
          CleanupPolicy.COMPACT,
          null,
          MAX_MESSAGE_BYTES);

  /**
   * How far ingest got in each input file, keyed by {@code <source>/<file fingerprint>}; written in
   * the same transaction as the file's documents, so a restart resumes exactly; compacted.
   */
  public static final TopicBinding<String, IngestProgress> INGEST_PROGRESS =
      new TopicBinding<>(
          "ingest.progress.v1",
          KEYS,
          new AvroSerde<>(IngestProgress.class),
          1,
          CleanupPolicy.COMPACT,
          null,
          MAX_MESSAGE_BYTES);

  /**
   * Takedown requests, keyed by {@code <scope>:<value>}; compacted, kept forever (a tombstone
   * withdraws one). Every stage that holds documents reads all of it.
   */
  public static final TopicBinding<String, Takedown> CORPUS_TAKEDOWNS =
      new TopicBinding<>(
          "corpus.takedowns.v1",
          KEYS,
          new AvroSerde<>(Takedown.class),
          1,
          CleanupPolicy.COMPACT,
          null,
          MAX_MESSAGE_BYTES);

  /**
   * Partitions of the feedback topics keyed by sample id: samples, preferences and RBRM judgements
   * are joined without a repartition, so they must have the same count.
   */
  public static final int FEEDBACK_PARTITIONS = 4;

  /** Prompts and policy completions to be labeled, keyed by sample id; kept forever. */
  public static final TopicBinding<String, Sample> FEEDBACK_SAMPLES =
      new TopicBinding<>(
          "feedback.samples.v1",
          KEYS,
          new AvroSerde<>(Sample.class),
          FEEDBACK_PARTITIONS,
          CleanupPolicy.DELETE,
          null,
          MAX_MESSAGE_BYTES);

  /**
   * Deletions of labels a tool reports by label id alone (Label Studio's {@code
   * ANNOTATIONS_DELETED}), keyed by label id: the joiner finds their samples in its label index and
   * retracts their pairs. Values are {@link PreferenceLabel}s with {@code deleted} set and no
   * sample id.
   */
  public static final TopicBinding<String, PreferenceLabel> FEEDBACK_LABEL_DELETIONS =
      new TopicBinding<>(
          "feedback.label-deletions.v1",
          KEYS,
          new AvroSerde<>(PreferenceLabel.class),
          FEEDBACK_PARTITIONS,
          CleanupPolicy.DELETE,
          null,
          MAX_MESSAGE_BYTES);

  /** Human preference labels (pairwise, rankings, ratings), keyed by sample id; kept forever. */
  public static final TopicBinding<String, PreferenceLabel> FEEDBACK_PREFERENCES =
      new TopicBinding<>(
          "feedback.preferences.v1",
          KEYS,
          new AvroSerde<>(PreferenceLabel.class),
          FEEDBACK_PARTITIONS,
          CleanupPolicy.DELETE,
          null,
          MAX_MESSAGE_BYTES);

  /** Rule-based reward model judgements of completions, keyed by sample id; kept forever. */
  public static final TopicBinding<String, RbrmJudgement> FEEDBACK_RBRM =
      new TopicBinding<>(
          "feedback.rbrm.v1",
          KEYS,
          new AvroSerde<>(RbrmJudgement.class),
          FEEDBACK_PARTITIONS,
          CleanupPolicy.DELETE,
          null,
          MAX_MESSAGE_BYTES);

  /** Reward-model training pairs, keyed by prompt id (a prompt's pairs in one partition). */
  public static final TopicBinding<String, RewardModelPair> FEEDBACK_RM_PAIRS =
      new TopicBinding<>(
          "feedback.rm-pairs.v1",
          KEYS,
          new AvroSerde<>(RewardModelPair.class),
          FEEDBACK_PARTITIONS,
          CleanupPolicy.DELETE,
          null,
          MAX_MESSAGE_BYTES);

  /** Agreement of each labeler with peers and gold labels, keyed by labeler; compacted. */
  public static final TopicBinding<String, LabelerStats> FEEDBACK_LABELER_STATS =
      new TopicBinding<>(
          "feedback.labeler-stats.v1",
          KEYS,
          new AvroSerde<>(LabelerStats.class),
          1,
          CleanupPolicy.COMPACT,
          null,
          MAX_MESSAGE_BYTES);

  /** Partitions of every {@code tokens.<stream>.v1} topic. */
  public static final int TOKEN_PARTITIONS = 4;

  /** Retention of token batches: trainers resume from them, so keep them for a training run. */
  public static final Duration TOKEN_RETENTION = Duration.ofDays(30);

  private Topics() {}

  /**
   * The token batches of one stream, keyed by batch id.
   *
   * @throws IllegalArgumentException if the stream name is not 1-63 of {@code [a-z0-9_-]}
   */
  public static TopicBinding<String, TokenBatch> tokens(String stream) {
    return new TopicBinding<>(
        "tokens." + checkStream(stream) + ".v1",
        KEYS,
        new AvroSerde<>(TokenBatch.class),
        TOKEN_PARTITIONS,
        CleanupPolicy.DELETE,
        TOKEN_RETENTION,
        LARGE_MESSAGE_BYTES);
  }

  /** Validates a token stream name, as used in {@code tokens.<stream>.v1}. */
  public static String checkStream(String stream) {
    if (stream == null || !STREAM.matcher(stream).matches()) {
      throw new IllegalArgumentException(
          "token stream name '"
              + stream
              + "' must be 1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit");
    }
    return stream;
  }

  /** The stream a {@code tokens.<stream>.v1} topic carries, or {@code null} for another topic. */
  public static String streamOf(String topic) {
    if (topic.startsWith("tokens.") && topic.endsWith(".v1")) {
      String stream = topic.substring("tokens.".length(), topic.length() - ".v1".length());
      return STREAM.matcher(stream).matches() ? stream : null;
    }
    return null;
  }

  /** Every topic of the catalog that does not depend on deployment (token streams do). */
  public static List<TopicBinding<?, ?>> fixed() {
    return List.of(
        CORPUS_RAW,
        CORPUS_CLEAN,
        CORPUS_REJECTED,
        CORPUS_TAKEDOWNS,
        CORPUS_IMAGES,
        INGEST_PROGRESS,
        TRAINER_METRICS,
        TRAINER_CHECKPOINTS,
        FEEDBACK_SAMPLES,
        FEEDBACK_PREFERENCES,
        FEEDBACK_LABEL_DELETIONS,
        FEEDBACK_RBRM,
        FEEDBACK_RM_PAIRS,
        FEEDBACK_LABELER_STATS);
  }
}
