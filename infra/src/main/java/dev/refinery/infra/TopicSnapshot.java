package dev.refinery.infra;

import dev.refinery.schemas.TopicBinding;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

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
      String bootstrapServers, TopicBinding<String, V> binding, Duration timeout) {
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.CLIENT_ID_CONFIG,
            "refinery-snapshot-" + UUID.randomUUID(),
            ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
            binding.maxMessageBytes());
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(binding.name(), timeout);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + binding.name() + " does not exist");
      }
      List<TopicPartition> partitions =
          infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      List<Entry<V>> entries = new ArrayList<>();
      while (!reached(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "could not read " + binding.name() + " to its end in " + timeout);
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          V value;
          try {
            value = binding.deserialize(r.value());
          } catch (RuntimeException e) {
            value = null;
          }
          entries.add(new Entry<>(r.key(), value, r.value(), r.partition(), r.offset()));
        }
      }
      return entries;
    }
  }

  private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    for (var e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
