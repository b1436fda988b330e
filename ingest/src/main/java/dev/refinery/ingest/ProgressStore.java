package dev.refinery.ingest;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicReader;
import dev.refinery.schemas.IngestProgress;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.SerializationException;

/**
 * How far ingest got in each file: the committed contents of {@code ingest.progress.v1}, read once
 * at start ({@code read_committed}, so only progress whose documents were committed counts), then
 * kept up to date by the ingestor's own commits.
 */
public final class ProgressStore {
  private final Map<String, IngestProgress> byKey = new ConcurrentHashMap<>();

  /** A store with nothing recorded (tests, or a deployment that never ingested). */
  public static ProgressStore empty() {
    return new ProgressStore();
  }

  /** Reads the progress topic to its end. */
  public static ProgressStore load(KafkaClients clients, Duration timeout) {
    ProgressStore store = new ProgressStore();
    try {
      TopicReader.readToEnd(
          clients,
          Topics.INGEST_PROGRESS,
          "refinery-ingest-progress",
          timeout,
          r -> {
            if (r.value() == null) {
              store.byKey.remove(r.key());
              return;
            }
            try {
              store.byKey.put(r.key(), Topics.INGEST_PROGRESS.deserialize(r.value()));
            } catch (SerializationException e) {
              // a record a newer build wrote: that file is re-read from its start, and dedup drops
              // what was already sent as replays
            }
          },
          n -> {});
    } catch (IllegalStateException e) {
      throw new IngestException(e.getMessage(), null);
    }
    return store;
  }

  /** The committed progress of a file of a source, or {@code null} if it was never started. */
  public IngestProgress get(String key) {
    return byKey.get(key);
  }

  void committed(String key, IngestProgress progress) {
    byKey.put(key, progress);
  }

  /**
   * The key of a file of a source: {@code <source>/<name>}, its name being its path relative to the
   * folder it was found in, or its file name.
   */
  static String key(String source, String name) {
    return source + "/" + name;
  }
}
