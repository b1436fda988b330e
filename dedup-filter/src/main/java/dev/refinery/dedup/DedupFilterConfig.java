package dev.refinery.dedup;

import dev.refinery.runtime.config.RefineryConfig;
import dev.refinery.runtime.config.Replication;
import dev.refinery.runtime.http.HttpSettings;
import dev.refinery.runtime.streams.RocksDbBudget;
import dev.refinery.runtime.streams.StreamsRunner;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Settings of dedup-filter ({@code dedup.*}, plus {@code bootstrap.servers}). Besides the keys
 * defined here, {@code dedup.rules.kind.<kind>} and {@code dedup.rules.source.<name>} name the
 * rules of a kind of source or of one source.
 */
public final class DedupFilterConfig extends RefineryConfig {
  public static final String APPLICATION_ID = "dedup.application.id";
  public static final String STATE_DIR = "dedup.state.dir";
  public static final String STREAM_THREADS = "dedup.stream.threads";
  public static final String COMMIT_INTERVAL_MS = "dedup.commit.interval.ms";
  public static final String HOLD_MS = "dedup.hold.ms";
  public static final String HOLD_MAX_MS = "dedup.hold.max.ms";
  public static final String HOLD_ANSWERS_PER_PASS = "dedup.hold.answers.per.pass";
  public static final String KEY_BATCHES = "dedup.key.batches";
  public static final String READ_MARKS = "dedup.read.marks";
  public static final String EXPIRE_AFTER_MS = "dedup.keys.expire.after.ms";
  public static final String NGRAM = "dedup.minhash.ngram";
  public static final String BANDS = "dedup.minhash.bands";
  public static final String ROWS = "dedup.minhash.rows";
  public static final String SEED = "dedup.minhash.seed";
  public static final String URL_DEDUP = "dedup.url.enabled";
  public static final String IMAGE_MIN_SIDE = "dedup.images.min.side";
  public static final String IMAGE_MAX_ASPECT_RATIO = "dedup.images.max.aspect.ratio";
  public static final String IMAGE_NEAR_DISTANCE = "dedup.images.near.distance";
  public static final String IMAGE_BANDS = "dedup.images.bands";
  public static final String IMAGE_BAND_HOLDERS = "dedup.images.band.holders";
  public static final String KEY_CACHE_BYTES = "dedup.key.cache.bytes";
  public static final String ROCKSDB_MEMORY_BYTES = "dedup." + RocksDbBudget.SETTING;
  public static final String RULES_KIND = "dedup.rules.kind.";
  public static final String RULES_SOURCE = "dedup.rules.source.";
  public static final String QUALITY_LANGUAGES = "dedup.quality.languages";
  public static final String LANGUAGES = "dedup.language.allowed";
  public static final String LANGUAGE_MIN_CONFIDENCE = "dedup.language.min.confidence";
  public static final String LANGUAGE_SAMPLE_CHARS = "dedup.language.sample.chars";
  public static final String SAFETY_LEXICON = "dedup.safety.lexicon";
  public static final String SAFETY_LEXICON_FILE = "dedup.safety.lexicon.file";
  public static final String SAFETY_BLOCKLIST = "dedup.safety.blocklist";
  public static final String SAFETY_BLOCKLIST_FILE = "dedup.safety.blocklist.file";
  public static final String SAFETY_MIN_HITS = "dedup.safety.min.hits";
  public static final String HTTP_PORT = "dedup.http.port";
  public static final String REJECTED_MAX_BYTES = "dedup." + RefineryConfig.REJECTED_MAX_BYTES;

  public static final String GOPHER_WORD_COUNTING = "dedup.gopher.word.counting";

  public static final ConfigDef DEFINITION =
      RocksDbBudget.define(
          StreamsRunner.defineStallTimeout(
              Replication.define(
                  HttpSettings.define(
                      withRejectedMaxBytes(withBootstrapServers(new ConfigDef()), "dedup.")
                          .define(
                              APPLICATION_ID,
                              Type.STRING,
                              "refinery-dedup-filter",
                              new ConfigDef.NonEmptyString(),
                              Importance.HIGH,
                              "Kafka Streams application id: the consumer group, and the prefix of the "
                                  + "internal topics. Instances with the same id share the work.")
                          .define(
                              STATE_DIR,
                              Type.STRING,
                              ".refinery/streams",
                              new ConfigDef.NonEmptyString(),
                              Importance.HIGH,
                              "Folder of the RocksDB state stores (restored from their changelogs if lost).")
                          .define(
                              STREAM_THREADS,
                              Type.INT,
                              1,
                              Range.between(1, 64),
                              Importance.MEDIUM,
                              "Stream threads of this instance. One a core, up to the partitions of corpus.raw.v1 shared by all instances: a thread decides 2,170 to 2,310 web documents a second on a 2-core machine (bench/run dedup).")
                          .define(
                              COMMIT_INTERVAL_MS,
                              Type.LONG,
                              300L,
                              Range.between(10L, 60_000L),
                              Importance.LOW,
                              "How often transactions commit (exactly_once_v2). A document waits for three commits on its way through the stage (its keys, their answers, its verdict); a commit costs the stream thread a fixed time, so fewer decide more documents a second: 300 ms decided 15-20 % more than 100 ms, and added 0.4 s to a document's median latency (bench/run dedup, bench/run pipeline --rate).")
                          .define(
                              HOLD_MS,
                              Type.LONG,
                              1_000L,
                              Range.between(0L, 600_000L),
                              Importance.MEDIUM,
                              "How long a document's dedup keys wait before answering, so that a smaller duplicate arriving "
                                  + "through another partition within this time is seen, and the smaller one survives. "
                                  + "Under a backlog the answers also wait until every partition of corpus.raw.v1 has been "
                                  + "read past the time the document was written and this hold (or read to its end), so that copies "
                                  + "written within it meet however unevenly the backlog is read (see dedup.hold.max.ms).")
                          .define(
                              HOLD_MAX_MS,
                              Type.LONG,
                              60_000L,
                              Range.between(0L, 3_600_000L),
                              Importance.LOW,
                              "The longest a document's dedup keys wait for the partitions of corpus.raw.v1 to be read past "
                                  + "its record time and dedup.hold.ms (under a backlog, or where a producer's clock is set "
                                  + "back). At or below dedup.hold.ms the keys wait the hold only, by the clock.")
                          .define(
                              HOLD_ANSWERS_PER_PASS,
                              Type.INT,
                              1_000,
                              Range.between(1, 1_000_000),
                              Importance.LOW,
                              "The most held answers a task of the by-key step gives at once. When a backlog's last "
                                  + "partition is read to its end every held answer is due: they go out this many at a time, "
                                  + "with the stream thread's polling and commits between, so that documents are decided "
                                  + "and tokenized while the rest are answered, and one pass neither holds them all in "
                                  + "memory nor keeps the thread from its commits.")
                          .define(
                              KEY_BATCHES,
                              Type.BOOLEAN,
                              true,
                              Importance.LOW,
                              "Send a document's dedup keys as one record per partition of the by-key topic, and their "
                                  + "answers as one record back, rather than one record per key. Set false only for the first "
                                  + "bounce of a rolling upgrade from a build without key batches (every build reads both).")
                          .define(
                              READ_MARKS,
                              Type.BOOLEAN,
                              true,
                              Importance.LOW,
                              "Tell every task of the by-key topic when a partition of corpus.raw.v1 has been read to its "
                                  + "end, so that held answers wait on it no longer. Set false only for the first bounce of a "
                                  + "rolling upgrade from a build without read marks (0.5 and before: they reject a mark as a "
                                  + "processing error); meanwhile a partition with nothing more to read holds answers up to "
                                  + "dedup.hold.max.ms.")
                          .define(
                              EXPIRE_AFTER_MS,
                              Type.LONG,
                              0L,
                              Range.atLeast(0L),
                              Importance.LOW,
                              "Dedup keys (exact, near, URL) whose smallest document's event time is this much older than "
                                  + "the newest document seen are forgotten, so state stops growing with history; a later copy "
                                  + "of such a document is kept (not a duplicate). Replay keys are kept. 0 keeps every key.")
                          .define(
                              NGRAM,
                              Type.INT,
                              5,
                              Range.between(1, 32),
                              Importance.MEDIUM,
                              "Words per n-gram of the MinHash signature (FineWeb: 5).")
                          .define(
                              BANDS,
                              Type.INT,
                              14,
                              Range.between(1, 99),
                              Importance.MEDIUM,
                              "LSH bands (FineWeb: 14). A document sharing any band with a smaller one is its near duplicate.")
                          .define(
                              ROWS,
                              Type.INT,
                              8,
                              Range.between(1, 64),
                              Importance.MEDIUM,
                              "MinHash values per band (FineWeb: 8).")
                          .define(
                              SEED,
                              Type.LONG,
                              1L,
                              Importance.LOW,
                              "Seed of the MinHash functions: every instance, and every restart, must use the same.")
                          .define(
                              URL_DEDUP,
                              Type.BOOLEAN,
                              false,
                              Importance.MEDIUM,
                              "Also reject a document whose normalized URL a smaller document has (URL_DUPLICATE).")
                          .define(
                              IMAGE_MIN_SIDE,
                              Type.INT,
                              150,
                              Range.atLeast(0),
                              Importance.MEDIUM,
                              "Images whose width or height is under this many pixels are refused as IMAGE_TOO_SMALL (OBELICS and MMC4: 150). 0 keeps every size.")
                          .define(
                              IMAGE_MAX_ASPECT_RATIO,
                              Type.DOUBLE,
                              3.0,
                              Range.atLeast(1.0),
                              Importance.MEDIUM,
                              "Images whose longer side is more than this many times their shorter one are refused as IMAGE_ASPECT_RATIO (OBELICS: 3).")
                          .define(
                              IMAGE_NEAR_DISTANCE,
                              Type.INT,
                              8,
                              Range.between(0, 32),
                              Importance.MEDIUM,
                              "Images whose 64-bit perceptual hashes differ in at most this many bits are near duplicates: the one of the larger (event time, id) document is refused as IMAGE_NEAR_DUPLICATE. Re-encoded, resized and slightly cropped copies are 0-6 bits apart; different photos 20 or more.")
                          .define(
                              IMAGE_BANDS,
                              Type.INT,
                              8,
                              Range.between(2, 64),
                              Importance.LOW,
                              "Bands the perceptual hash is cut into to find candidates: two hashes fewer bits apart than there are bands always share one. More bands find farther pairs and hold more keys.")
                          .define(
                              IMAGE_BAND_HOLDERS,
                              Type.INT,
                              32,
                              Range.between(1, 1000),
                              Importance.LOW,
                              "Images a band's value keeps as candidates (the newest, one per perceptual hash). More find near duplicates farther apart in time, at more state.")
                          .define(
                              KEY_CACHE_BYTES,
                              Type.LONG,
                              32L << 20,
                              Range.between(0L, 1L << 30),
                              Importance.LOW,
                              "Memory each task of the by-key step gives to the dedup keys it took lately, so that a key's answer, a hold later, reads the key's holder from memory rather than from RocksDB. An instance has one such task for each partition of corpus.raw.v1 it works on. A key and its holder take about 50 bytes, and 8 more in the table that finds them, so a task holds the keys of the last 18,000 to 37,000 web documents (14 keys each) at 32 MB: those written since the older of its two buffers was last emptied. Under a backlog answers wait past the hold until every partition is read past them: at 2 MB most were read from RocksDB again (a median 0.54 ms of the stream thread a document against 0.47 at 8 MB), and at 8 MB a backlog of 20,000 documents still read 0.047 ms of keys a document from RocksDB, 0.009 at 32 MB (bench/run dedup).")
                          .define(
                              QUALITY_LANGUAGES,
                              Type.LIST,
                              "en",
                              Importance.MEDIUM,
                              "Languages the quality rules (gopher_quality, gopher_repetition, c4, fineweb) apply to: their "
                                  + "thresholds were published for English. Empty: every language.")
                          .define(
                              LANGUAGES,
                              Type.LIST,
                              "",
                              Importance.MEDIUM,
                              "Languages to keep (ISO 639-1; und for text too short to identify), where the language rule applies. "
                                  + "Empty: all, labelled.")
                          .define(
                              LANGUAGE_MIN_CONFIDENCE,
                              Type.DOUBLE,
                              0.65,
                              Range.between(0.0, 1.0),
                              Importance.LOW,
                              "With dedup.language.allowed set, documents whose label has a lower probability are rejected "
                                  + "(LANGUAGE_LOW_CONFIDENCE). The probability is calibrated: 0.65 is FineWeb's threshold, and "
                                  + "labels at or above it are right about 96 % of the time on held-out text.")
                          .define(
                              LANGUAGE_SAMPLE_CHARS,
                              Type.INT,
                              300,
                              Range.atLeast(50),
                              Importance.LOW,
                              "Characters from the start of a document the language detector reads. More are more accurate on "
                                  + "short or mixed text and cost more (about 0.03 ms a document at 300, 0.06 ms at 1000, on "
                                  + "one core: bench/run langid).")
                          .define(
                              SAFETY_LEXICON,
                              Type.LIST,
                              "",
                              Importance.MEDIUM,
                              "Lexicon entries category:term (also from dedup.safety.lexicon.file).")
                          .define(
                              SAFETY_LEXICON_FILE,
                              Type.STRING,
                              "",
                              Importance.MEDIUM,
                              "File of category<TAB>term lines; # starts a comment.")
                          .define(
                              SAFETY_BLOCKLIST,
                              Type.LIST,
                              "",
                              Importance.MEDIUM,
                              "Blocked sites category:domain or category:URL prefix (also from dedup.safety.blocklist.file).")
                          .define(
                              SAFETY_BLOCKLIST_FILE,
                              Type.STRING,
                              "",
                              Importance.MEDIUM,
                              "File of category<TAB>domain-or-URL-prefix lines; # starts a comment.")
                          .define(
                              SAFETY_MIN_HITS,
                              Type.INT,
                              1,
                              Range.atLeast(1),
                              Importance.LOW,
                              "Lexicon hits in one category that reject a document.")
                          .define(
                              GOPHER_WORD_COUNTING,
                              Type.STRING,
                              "paper",
                              ConfigDef.ValidString.in("paper", "datatrove"),
                              Importance.LOW,
                              "How gopher_quality counts words for its 80 % with a letter: paper"
                                  + " (separated by white space, as Rae et al. count them) or"
                                  + " datatrove (punctuation tokens counted as words, which refuses"
                                  + " curated prose full of numbers and punctuation)."),
                      "dedup.",
                      "dedup-filter's /metrics and /health",
                      8471,
                      true,
                      1024L * 1024)),
              "dedup."),
          "dedup.");

  public DedupFilterConfig(Map<String, ?> values) {
    super(DEFINITION, values, "dedup.", Set.of(RULES_KIND, RULES_SOURCE));
  }

  public String applicationId() {
    return getString(APPLICATION_ID);
  }

  public Path stateDir() {
    return Path.of(getString(STATE_DIR));
  }

  public int streamThreads() {
    return getInt(STREAM_THREADS);
  }

  /** How long the stage may have input waiting and process nothing before its health is DOWN. */
  public java.time.Duration stallTimeout() {
    return java.time.Duration.ofMillis(getLong("dedup." + StreamsRunner.STALL_TIMEOUT_MS));
  }

  public dev.refinery.dedup.rules.GopherQuality.WordCounting gopherWordCounting() {
    return dev.refinery.dedup.rules.GopherQuality.WordCounting.valueOf(
        getString(GOPHER_WORD_COUNTING).toUpperCase(java.util.Locale.ROOT));
  }

  public long commitIntervalMs() {
    return getLong(COMMIT_INTERVAL_MS);
  }

  public long expireAfterMs() {
    return getLong(EXPIRE_AFTER_MS);
  }

  public long holdMs() {
    return getLong(HOLD_MS);
  }

  public long holdMaxMs() {
    return getLong(HOLD_MAX_MS);
  }

  public int holdAnswersPerPass() {
    return getInt(HOLD_ANSWERS_PER_PASS);
  }

  public int ngram() {
    return getInt(NGRAM);
  }

  public int bands() {
    return getInt(BANDS);
  }

  public int rows() {
    return getInt(ROWS);
  }

  public long seed() {
    return getLong(SEED);
  }

  public int imageMinSide() {
    return getInt(IMAGE_MIN_SIDE);
  }

  public double imageMaxAspectRatio() {
    return getDouble(IMAGE_MAX_ASPECT_RATIO);
  }

  public int imageNearDistance() {
    return getInt(IMAGE_NEAR_DISTANCE);
  }

  public int imageBands() {
    return getInt(IMAGE_BANDS);
  }

  public int imageBandHolders() {
    return getInt(IMAGE_BAND_HOLDERS);
  }

  /** RocksDB's memory budget for the process's stores; 0 for none. */
  public long rocksDbMemoryBytes() {
    return getLong(ROCKSDB_MEMORY_BYTES);
  }

  public long keyCacheBytes() {
    return getLong(KEY_CACHE_BYTES);
  }

  public boolean keyBatches() {
    return getBoolean(KEY_BATCHES);
  }

  public boolean readMarks() {
    return getBoolean(READ_MARKS);
  }

  public boolean urlDedup() {
    return getBoolean(URL_DEDUP);
  }

  public List<String> qualityLanguages() {
    return getList(QUALITY_LANGUAGES);
  }

  public List<String> languages() {
    return getList(LANGUAGES);
  }

  public double languageMinConfidence() {
    return getDouble(LANGUAGE_MIN_CONFIDENCE);
  }

  public int languageSampleChars() {
    return getInt(LANGUAGE_SAMPLE_CHARS);
  }

  public int safetyMinHits() {
    return getInt(SAFETY_MIN_HITS);
  }

  public int httpPort() {
    return getInt(HTTP_PORT);
  }

  /** Where and how the HTTP service listens. */
  public HttpSettings http() {
    return HttpSettings.from(this, "dedup.");
  }

  /** The {@code dedup.rules.kind.*} and {@code dedup.rules.source.*} entries, as given. */
  public Map<String, String> ruleSettings() {
    Map<String, String> rules = new HashMap<>();
    originals()
        .forEach(
            (k, v) -> {
              if (k.startsWith(RULES_KIND) || k.startsWith(RULES_SOURCE)) {
                rules.put(k, String.valueOf(v));
              }
            });
    return rules;
  }

  /** A list setting's entries. */
  public List<String> listSetting(String key) {
    return getList(key);
  }

  /** A file setting; empty when not set. */
  public String fileSetting(String key) {
    return getString(key);
  }
}
