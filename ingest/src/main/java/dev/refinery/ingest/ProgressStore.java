package dev.refinery.ingest;

import dev.refinery.schemas.IngestProgress;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

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
  public static ProgressStore load(String bootstrapServers, Duration timeout) {
    ProgressStore store = new ProgressStore();
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.CLIENT_ID_CONFIG,
            "refinery-ingest-progress");
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      var partitions =
          consumer.partitionsFor(Topics.INGEST_PROGRESS.name(), timeout).stream()
              .map((PartitionInfo p) -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      if (partitions.isEmpty()) {
        throw new IngestException(
            "topic "
                + Topics.INGEST_PROGRESS.name()
                + " does not exist: run `refinery topics` or "
                + "`refinery up` first",
            null);
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        if (System.nanoTime() > deadline) {
          throw new IngestException(
              "could not read " + Topics.INGEST_PROGRESS.name() + " in " + timeout, null);
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value() == null) {
            store.byKey.remove(r.key());
            continue;
          }
          try {
            store.byKey.put(r.key(), Topics.INGEST_PROGRESS.deserialize(r.value()));
          } catch (SerializationException e) {
            // a record a newer build wrote: that file is re-read from its start, and dedup drops
            // what was already sent as replays
          }
        }
      }
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

  /** The key of a file of a source: {@code <source>/<fingerprint>}. */
  static String key(String source, String fingerprint) {
    return source + "/" + fingerprint;
  }
}
