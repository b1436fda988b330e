package dev.refinery.dedup;

import dev.refinery.config.RefineryConfig;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of dedup-filter ({@code dedup.*}, plus {@code bootstrap.servers}). */
public final class DedupFilterConfig extends RefineryConfig {
  public static final String APPLICATION_ID = "dedup.application.id";
  public static final String STATE_DIR = "dedup.state.dir";
  public static final String STREAM_THREADS = "dedup.stream.threads";
  public static final String COMMIT_INTERVAL_MS = "dedup.commit.interval.ms";
  public static final String MIN_WORDS = "dedup.min.words";
  public static final String REJECTED_MAX_BYTES = "dedup." + RefineryConfig.REJECTED_MAX_BYTES;

  public static final ConfigDef DEFINITION =
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
              "Stream threads of this instance.")
          .define(
              COMMIT_INTERVAL_MS,
              Type.LONG,
              100L,
              Range.between(10L, 60_000L),
              Importance.LOW,
              "How often transactions commit (exactly_once_v2): the latency of a document through the stage.")
          .define(
              MIN_WORDS,
              Type.INT,
              50,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Documents with fewer words are rejected as TOO_SHORT (Gopher's lower bound is 50).");

  public DedupFilterConfig(Map<String, ?> values) {
    super(DEFINITION, values, "dedup.");
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

  public long commitIntervalMs() {
    return getLong(COMMIT_INTERVAL_MS);
  }

  public int minWords() {
    return getInt(MIN_WORDS);
  }
}
