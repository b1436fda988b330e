package dev.refinery.runtime.kafka;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.schemas.TopicBinding;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Every committed record of a topic at this moment: reads each partition from its beginning to its
 * last stable offset ({@code read_committed}), without a consumer group. What the demo and the
 * tests use to see what the pipeline has produced.
 */
public final class TopicSnapshot {
  private TopicSnapshot() {}

  /** A record of the snapshot: the decoded value where it decodes, else the raw bytes. */
  public record Entry<V>(String key, V value, byte[] raw, int partition, long offset) {}

  /**
   * Reads the topic to its current end.
   *
   * @throws IllegalStateException if the topic does not exist or cannot be read in {@code timeout}
   */
  public static <V> List<Entry<V>> read(
      KafkaClients clients, TopicBinding<String, V> binding, Duration timeout) {
    List<Entry<V>> entries = new ArrayList<>();
    TopicReader.readToEnd(
        clients,
        binding,
        "refinery-snapshot-" + UUID.randomUUID(),
        timeout,
        r -> {
          V value;
          try {
            value = binding.deserialize(r.value());
          } catch (RuntimeException e) {
            value = null;
          }
          entries.add(new Entry<>(r.key(), value, r.value(), r.partition(), r.offset()));
        },
        n -> {});
    return entries;
  }

  /** Reads the topic of a cluster that needs no client settings (tests, local tools). */
  public static <V> List<Entry<V>> read(
      String bootstrapServers, TopicBinding<String, V> binding, Duration timeout) {
    return read(KafkaClients.of(bootstrapServers), binding, timeout);
  }
}
