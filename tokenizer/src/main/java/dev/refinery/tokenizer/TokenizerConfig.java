package dev.refinery.tokenizer;

import dev.refinery.config.RefineryConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of the tokenizer job ({@code tokenizer.*}, plus {@code bootstrap.servers}). */
public final class TokenizerConfig extends RefineryConfig {
  public static final String ENCODING = "tokenizer.encoding";
  public static final String SEQ_LEN = "tokenizer.seq.len";
  public static final String BATCH_SEQUENCES = "tokenizer.batch.sequences";
  public static final String STREAMS = "tokenizer.streams";
  public static final String FLUSH_IDLE_MS = "tokenizer.flush.idle.ms";
  public static final String CHECKPOINT_INTERVAL_MS = "tokenizer.checkpoint.interval.ms";
  public static final String CHECKPOINT_DIR = "tokenizer.checkpoint.dir";
  public static final String PARALLELISM = "tokenizer.parallelism";
  public static final String GROUP_ID = "tokenizer.group.id";
  public static final String TRANSACTIONAL_ID_PREFIX = "tokenizer.transactional.id.prefix";
  public static final String TRANSACTION_TIMEOUT_MS = "tokenizer.transaction.timeout.ms";
  public static final String REJECTED_MAX_BYTES = "tokenizer." + RefineryConfig.REJECTED_MAX_BYTES;

  public static final ConfigDef DEFINITION =
      withRejectedMaxBytes(withBootstrapServers(new ConfigDef()), "tokenizer.")
          .define(
              ENCODING,
              Type.STRING,
              "cl100k_base",
              ConfigDef.ValidString.in(Tokenizer.names().toArray(String[]::new)),
              Importance.HIGH,
              "tiktoken encoding: cl100k_base is GPT-4's, o200k_base GPT-4o's.")
          .define(
              SEQ_LEN,
              Type.INT,
              2048,
              Range.between(8, 1 << 20),
              Importance.HIGH,
              "Tokens per sequence.")
          .define(
              BATCH_SEQUENCES,
              Type.INT,
              8,
              Range.between(1, 4096),
              Importance.HIGH,
              "Sequences per batch.")
          .define(
              STREAMS,
              Type.LIST,
              "main",
              Importance.HIGH,
              "Token streams this job writes (tokens.<stream>.v1, which must exist). A document of another "
                  + "stream is rejected as UNKNOWN_STREAM.")
          .define(
              FLUSH_IDLE_MS,
              Type.LONG,
              5_000L,
              Range.atLeast(0L),
              Importance.MEDIUM,
              "When a stream has had no document for this long, its partial batch is written, the last "
                  + "sequence padded. 0 never writes partial batches.")
          .define(
              CHECKPOINT_INTERVAL_MS,
              Type.LONG,
              2_000L,
              Range.atLeast(100L),
              Importance.MEDIUM,
              "Flink checkpoint interval: batches become visible to read_committed readers at each checkpoint.")
          .define(
              CHECKPOINT_DIR,
              Type.STRING,
              ".refinery/flink/checkpoints",
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Where checkpoints are kept; a restart resumes from the newest one.")
          .define(
              PARALLELISM,
              Type.INT,
              1,
              Range.between(1, 1024),
              Importance.MEDIUM,
              "Parallelism of the job.")
          .define(
              GROUP_ID,
              Type.STRING,
              "refinery-tokenizer",
              new ConfigDef.NonEmptyString(),
              Importance.LOW,
              "Consumer group of the corpus.clean.v1 source (offsets are committed on checkpoints).")
          .define(
              TRANSACTIONAL_ID_PREFIX,
              Type.STRING,
              "refinery-tokenizer",
              new ConfigDef.NonEmptyString(),
              Importance.LOW,
              "Prefix of the sink's transactional ids; unique per job on a cluster.")
          .define(
              TRANSACTION_TIMEOUT_MS,
              Type.INT,
              600_000,
              Range.between(10_000, 900_000),
              Importance.LOW,
              "Kafka transaction timeout of the sink; at most the broker's transaction.max.timeout.ms (15 min).");

  public TokenizerConfig(Map<String, ?> values) {
    super(DEFINITION, values, "tokenizer.");
    requireStreamNames(STREAMS);
  }

  public String encoding() {
    return getString(ENCODING);
  }

  public int seqLen() {
    return getInt(SEQ_LEN);
  }

  public int batchSequences() {
    return getInt(BATCH_SEQUENCES);
  }

  public List<String> streams() {
    return getList(STREAMS);
  }

  public long flushIdleMs() {
    return getLong(FLUSH_IDLE_MS);
  }

  public long checkpointIntervalMs() {
    return getLong(CHECKPOINT_INTERVAL_MS);
  }

  public Path checkpointDir() {
    return Path.of(getString(CHECKPOINT_DIR));
  }

  public int parallelism() {
    return getInt(PARALLELISM);
  }

  public String groupId() {
    return getString(GROUP_ID);
  }

  public String transactionalIdPrefix() {
    return getString(TRANSACTIONAL_ID_PREFIX);
  }

  public int transactionTimeoutMs() {
    return getInt(TRANSACTION_TIMEOUT_MS);
  }
}
