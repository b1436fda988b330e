package dev.refinery.tokenizer;

import dev.refinery.runtime.config.RefineryConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** Settings of the tokenizer job ({@code tokenizer.*}, plus {@code bootstrap.servers}). */
public final class TokenizerConfig extends RefineryConfig {
  public static final String ENCODING = "tokenizer.encoding";
  public static final String ENCODING_FILE = "tokenizer.encoding.file";
  public static final String ENCODING_PATTERN = "tokenizer.encoding.pattern";
  public static final String ENCODING_SPECIAL_TOKENS = "tokenizer.encoding.special.tokens";
  public static final String ENCODING_END_OF_TEXT = "tokenizer.encoding.end.of.text";
  public static final String PACKING = "tokenizer.packing";
  public static final String LABEL_TOKEN = "tokenizer.seq.label.token";
  public static final String PACK_WINDOW = "tokenizer.pack.window";
  public static final String METRICS_PORT = "tokenizer.metrics.port";
  public static final String SEQ_LEN = "tokenizer.seq.len";
  public static final String BATCH_SEQUENCES = "tokenizer.batch.sequences";
  public static final String STREAMS = "tokenizer.streams";
  public static final String FLUSH_IDLE_MS = "tokenizer.flush.idle.ms";
  public static final String CHECKPOINT_INTERVAL_MS = "tokenizer.checkpoint.interval.ms";
  public static final String CHECKPOINT_DIR = "tokenizer.checkpoint.dir";
  public static final String PARALLELISM = "tokenizer.parallelism";
  public static final String TOKENIZE_THREADS = "tokenizer.tokenize.threads";
  public static final String GROUP_ID = "tokenizer.group.id";
  public static final String TRANSACTIONAL_ID_PREFIX = "tokenizer.transactional.id.prefix";
  public static final String TRANSACTION_TIMEOUT_MS = "tokenizer.transaction.timeout.ms";
  public static final String REJECTED_MAX_BYTES = "tokenizer." + RefineryConfig.REJECTED_MAX_BYTES;
  public static final String CHAT_BEGIN = "tokenizer.chat.turn.begin";
  public static final String CHAT_END = "tokenizer.chat.turn.end";
  public static final String CHAT_SEPARATOR = "tokenizer.chat.turn.separator";
  public static final String CHAT_LEARN_ROLES = "tokenizer.chat.learn.roles";
  public static final String CHAT_SPECIAL_TOKENS = "tokenizer.chat.special.tokens";
  public static final String IMAGE_BEGIN = "tokenizer.image.begin.token";
  public static final String IMAGE_END = "tokenizer.image.end.token";
  public static final String IMAGE_PLACEHOLDER = "tokenizer.image.placeholder.token";
  public static final String IMAGE_TOKENS = "tokenizer.image.tokens";
  public static final String IMAGE_PATCH = "tokenizer.image.patch.size";
  public static final String IMAGE_MAX_TOKENS = "tokenizer.image.max.tokens";
  public static final String PREFERENCE_STREAM = "tokenizer.preference.stream";
  public static final String PREFERENCE_BATCH_PAIRS = "tokenizer.preference.batch.pairs";
  public static final String PREFERENCE_GROUP_ID = "tokenizer.preference.group.id";

  public static final ConfigDef DEFINITION =
      withRejectedMaxBytes(withBootstrapServers(new ConfigDef()), "tokenizer.")
          .define(
              ENCODING,
              Type.STRING,
              "cl100k_base",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "tiktoken encoding: cl100k_base is GPT-4's, o200k_base GPT-4o's (also p50k_base, r50k_base); "
                  + "another name needs tokenizer.encoding.file, .pattern and .special.tokens.")
          .define(
              ENCODING_FILE,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "tiktoken rank file (<base64 token> <rank> a line) of an encoding that is not built in.")
          .define(
              ENCODING_PATTERN,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "The split regex of that encoding, as tiktoken gives it (pat_str).")
          .define(
              ENCODING_SPECIAL_TOKENS,
              Type.LIST,
              "",
              Importance.MEDIUM,
              "Its special tokens, <token>=<id>, e.g. <|endoftext|>=100257.")
          .define(
              ENCODING_END_OF_TEXT,
              Type.STRING,
              TokenizerSpec.END_OF_TEXT,
              Importance.LOW,
              "The special token that ends each document and pads sequences.")
          .define(
              PACKING,
              Type.STRING,
              "concat",
              ConfigDef.ValidString.in("concat", "best_fit"),
              Importance.HIGH,
              "concat: documents joined by end-of-text, cut every seq.len tokens (no padding but at a flush); "
                  + "best_fit: whole documents placed best-fit into sequences, each padded (no cuts but of "
                  + "documents longer than a sequence).")
          .define(
              LABEL_TOKEN,
              Type.BOOLEAN,
              false,
              Importance.MEDIUM,
              "Each sequence carries one extra token, for the labels shifted by one: rows of seq.len + 1 ids.")
          .define(
              PACK_WINDOW,
              Type.INT,
              32,
              Range.between(1, 4096),
              Importance.LOW,
              "best_fit: sequences open at once per stream; more cuts less padding, at more memory and delay.")
          .define(
              METRICS_PORT,
              Type.INT,
              8472,
              Range.between(-1, 65535),
              Importance.LOW,
              "Port of the local job's Prometheus /metrics; 0 picks a free one, -1 serves none.")
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
              TOKENIZE_THREADS,
              Type.INT,
              1,
              Range.between(0, 256),
              Importance.MEDIUM,
              "Threads that tokenize in each slot. 1: the slot's own task thread, with no handoff "
                  + "(the fastest where the job has a slot a core); more: a pool of its own in each "
                  + "slot, documents leaving in the order they came (where a slot has more cores "
                  + "than the input has partitions); 0: the machine's cores.")
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
              "Kafka transaction timeout of the sink; at most the broker's transaction.max.timeout.ms (15 min).")
          .define(
              CHAT_BEGIN,
              Type.STRING,
              ChatTemplate.DEFAULT_BEGIN,
              Importance.MEDIUM,
              "Chat template: what starts each turn of a conversation, {role} standing for its role "
                  + "(\\n is a line break). Context only, never learned.")
          .define(
              CHAT_END,
              Type.STRING,
              ChatTemplate.DEFAULT_END,
              Importance.MEDIUM,
              "Chat template: what ends each turn's content; learned with the content of a learned role.")
          .define(
              CHAT_SEPARATOR,
              Type.STRING,
              ChatTemplate.DEFAULT_SEPARATOR,
              Importance.LOW,
              "Chat template: what follows each turn's end marker (context only).")
          .define(
              CHAT_LEARN_ROLES,
              Type.LIST,
              "assistant",
              Importance.MEDIUM,
              "Roles whose turns (content and end marker) are in the loss_ranges a trainer learns from.")
          .define(
              CHAT_SPECIAL_TOKENS,
              Type.LIST,
              "",
              Importance.MEDIUM,
              "Markers of the chat template written as one special token id each, <marker>=<id>, e.g. "
                  + "<|im_start|>=100264,<|im_end|>=100265 (OpenAI's ChatML ids for cl100k_base). Empty: "
                  + "the markers are encoded as text. A message's content is always ordinary text.")
          .define(
              IMAGE_BEGIN,
              Type.INT,
              100270,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Token id before an image's placeholders. The default is an id cl100k_base leaves "
                  + "unused; set your model's.")
          .define(
              IMAGE_END,
              Type.INT,
              100271,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Token id after an image's placeholders.")
          .define(
              IMAGE_PLACEHOLDER,
              Type.INT,
              100272,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Token id of each position an image's embeddings take.")
          .define(
              IMAGE_TOKENS,
              Type.INT,
              0,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Placeholders of every image; 0: one per patch of its resolution "
                  + "(tokenizer.image.patch.size), at most tokenizer.image.max.tokens. An image never "
                  + "splits across sequences: one that does not fit starts the next.")
          .define(
              IMAGE_PATCH,
              Type.INT,
              32,
              Range.atLeast(1),
              Importance.LOW,
              "Pixels a side of one image patch, for placeholders from resolution.")
          .define(
              IMAGE_MAX_TOKENS,
              Type.INT,
              256,
              Range.atLeast(1),
              Importance.LOW,
              "Most placeholders of one image (and never more than a sequence holds).")
          .define(
              PREFERENCE_STREAM,
              Type.STRING,
              "preference",
              Importance.MEDIUM,
              "Token stream of the reward-model / DPO batches made from feedback.rm-pairs.v1 "
                  + "(tokens.<stream>.v1); empty: none. Not one of tokenizer.streams.")
          .define(
              PREFERENCE_BATCH_PAIRS,
              Type.INT,
              8,
              Range.between(1, 2048),
              Importance.MEDIUM,
              "Pairs per preference batch (two rows each). A prompt's pairs are never split: a set "
                  + "that does not fit starts the next batch, and a larger one is a batch of its own.")
          .define(
              PREFERENCE_GROUP_ID,
              Type.STRING,
              "",
              Importance.LOW,
              "Consumer group of the feedback.rm-pairs.v1 source; empty: <tokenizer.group.id>-preference.");

  public TokenizerConfig(Map<String, ?> values) {
    super(DEFINITION, values, "tokenizer.");
    requireStreamNames(STREAMS);
    String preference = preferenceStream();
    if (!preference.isEmpty()) {
      try {
        dev.refinery.schemas.Topics.checkStream(preference);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(PREFERENCE_STREAM, preference, e.getMessage());
      }
      if (streams().contains(preference)) {
        throw new ConfigException(
            PREFERENCE_STREAM,
            preference,
            "is also one of " + STREAMS + ": preference pairs need a stream of their own");
      }
    }
    chatTemplate();
    imageTokens();
  }

  /**
   * How images take positions in the token sequences.
   *
   * @throws ConfigException if an id is outside the vocabulary's dtype
   */
  ImageTokens imageTokens() {
    int limit = Tokenizer.of(tokenizerSpec()).vocabularySize() <= 65536 ? 65536 : Integer.MAX_VALUE;
    for (String key : java.util.List.of(IMAGE_BEGIN, IMAGE_END, IMAGE_PLACEHOLDER)) {
      if (getInt(key) >= limit) {
        throw new ConfigException(
            key, getInt(key), "does not fit the uint16 token ids of " + encoding());
      }
    }
    return new ImageTokens(
        getInt(IMAGE_BEGIN),
        getInt(IMAGE_END),
        getInt(IMAGE_PLACEHOLDER),
        getInt(IMAGE_TOKENS),
        getInt(IMAGE_PATCH),
        getInt(IMAGE_MAX_TOKENS));
  }

  /** The stream of preference batches, or "" for none. */
  public String preferenceStream() {
    return getString(PREFERENCE_STREAM).trim();
  }

  public int preferenceBatchPairs() {
    return getInt(PREFERENCE_BATCH_PAIRS);
  }

  public String preferenceGroupId() {
    String group = getString(PREFERENCE_GROUP_ID).trim();
    return group.isEmpty() ? groupId() + "-preference" : group;
  }

  /**
   * The chat template of conversations and preference pairs.
   *
   * @throws ConfigException naming a setting that is wrong
   */
  ChatTemplate chatTemplate() {
    java.util.Map<String, Integer> specials = new java.util.LinkedHashMap<>();
    for (String entry : getList(CHAT_SPECIAL_TOKENS)) {
      int eq = entry.lastIndexOf('=');
      int id;
      try {
        id = eq > 0 ? Integer.parseInt(entry.substring(eq + 1).trim()) : -1;
      } catch (NumberFormatException e) {
        id = -1;
      }
      if (id < 0) {
        throw new ConfigException(
            CHAT_SPECIAL_TOKENS, entry, "must be <marker>=<token id>, e.g. <|im_start|>=100264");
      }
      specials.put(unescape(entry.substring(0, eq).trim()), id);
    }
    if (!specials.isEmpty()) {
      int vocabulary = Tokenizer.of(tokenizerSpec()).vocabularySize();
      specials.forEach(
          (marker, id) -> {
            if (id >= vocabulary) {
              throw new ConfigException(
                  CHAT_SPECIAL_TOKENS,
                  marker + "=" + id,
                  "is outside " + encoding() + "'s " + vocabulary + " token ids");
            }
          });
    }
    try {
      return new ChatTemplate(
          untrimmed(CHAT_BEGIN, ChatTemplate.DEFAULT_BEGIN),
          untrimmed(CHAT_END, ChatTemplate.DEFAULT_END),
          untrimmed(CHAT_SEPARATOR, ChatTemplate.DEFAULT_SEPARATOR),
          java.util.Set.copyOf(getList(CHAT_LEARN_ROLES)),
          specials);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(CHAT_BEGIN, getString(CHAT_BEGIN), e.getMessage());
    }
  }

  /**
   * A template setting as given, its line breaks kept (a ConfigDef trims strings), a written {@code
   * \\n} or {@code \\t} read as the character.
   */
  private String untrimmed(String key, String fallback) {
    Object raw = originals().get(key);
    return unescape(raw == null ? fallback : raw.toString());
  }

  /** A template setting given on a command line: {@code \n} and {@code \t} as written there. */
  private static String unescape(String value) {
    return value.replace("\\n", "\n").replace("\\t", "\t");
  }

  public String encoding() {
    return getString(ENCODING);
  }

  /**
   * The tokenizer these settings name: built in, or read from its rank file now.
   *
   * @throws ConfigException naming the setting that is missing or wrong
   */
  public TokenizerSpec tokenizerSpec() {
    String name = encoding();
    String file = getString(ENCODING_FILE);
    if (file.isBlank()) {
      if (!Tokenizer.builtInNames().contains(name)) {
        throw new ConfigException(
            ENCODING,
            name,
            "not a built-in encoding "
                + Tokenizer.builtInNames()
                + "; for another, set "
                + ENCODING_FILE
                + ", "
                + ENCODING_PATTERN
                + " and "
                + ENCODING_SPECIAL_TOKENS);
      }
      return TokenizerSpec.builtIn(name);
    }
    if (getString(ENCODING_PATTERN).isBlank()) {
      throw new ConfigException(
          ENCODING_PATTERN, "", "the split regex of " + name + " is needed with its rank file");
    }
    try {
      TokenizerSpec spec =
          TokenizerSpec.fromFile(
              name,
              Path.of(file),
              getString(ENCODING_PATTERN),
              getList(ENCODING_SPECIAL_TOKENS),
              getString(ENCODING_END_OF_TEXT));
      Tokenizer.of(spec);
      return spec;
    } catch (java.io.IOException e) {
      throw new ConfigException(ENCODING_FILE, file, "cannot read: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(ENCODING_FILE, file, e.getMessage());
    }
  }

  public String packing() {
    return getString(PACKING);
  }

  public boolean labelToken() {
    return getBoolean(LABEL_TOKEN);
  }

  public int packWindow() {
    return getInt(PACK_WINDOW);
  }

  public int metricsPort() {
    return getInt(METRICS_PORT);
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

  /** Tokenizing threads per slot: as set (1: the task thread), or for 0 the machine's cores. */
  public int tokenizeThreads() {
    int threads = getInt(TOKENIZE_THREADS);
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
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
