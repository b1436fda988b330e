package dev.refinery.runtime.kafka;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.schemas.TopicBinding;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reading a topic whole, the way every Refinery tool that needs "what the topic holds" does it:
 * read_committed (aborted transactions never show), no consumer group, every partition from its
 * beginning.
 */
public final class TopicReader {
  private TopicReader() {}

  /** A read_committed consumer of string keys and raw values, in no group. */
  public static KafkaConsumer<String, byte[]> consumer(
      KafkaClients clients, String clientId, int maxMessageBytes) {
    return consumer(clients, clientId, maxMessageBytes, Map.of());
  }

  /** The same, with {@code settings} of its own added (how it fetches). */
  public static KafkaConsumer<String, byte[]> consumer(
      KafkaClients clients, String clientId, int maxMessageBytes, Map<String, Object> settings) {
    Map<String, Object> all = new java.util.HashMap<>(settings);
    all.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    all.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    all.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    all.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, maxMessageBytes);
    return new KafkaConsumer<>(
        clients.consumer(all), new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * Assigns every partition of the topic to the consumer, at the beginning.
   *
   * @return the partitions, or an empty list if the topic does not exist (yet)
   */
  public static List<TopicPartition> assignFromBeginning(
      KafkaConsumer<?, ?> consumer, String topic, Duration timeout) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
    if (infos == null || infos.isEmpty()) {
      return List.of();
    }
    List<TopicPartition> partitions =
        infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return partitions;
  }

  /**
   * Hands every committed record of the topic, up to its end as it is when called, to {@code each},
   * in partition order.
   *
   * @param progress told how many records were read so far, after each poll
   * @throws IllegalStateException if the topic does not exist or is not read in {@code timeout}
   */
  public static void readToEnd(
      KafkaClients clients,
      TopicBinding<?, ?> topic,
      String clientId,
      Duration timeout,
      Consumer<ConsumerRecord<String, byte[]>> each,
      LongConsumer progress) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<String, byte[]> consumer =
        consumer(clients, clientId, topic.maxMessageBytes())) {
      List<TopicPartition> partitions = assignFromBeginning(consumer, topic.name(), timeout);
      if (partitions.isEmpty()) {
        throw new IllegalStateException(
            "topic "
                + topic.name()
                + " does not exist at "
                + clients.bootstrapServers()
                + ": run `refinery topics` or `refinery up` first");
      }
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      long read = 0;
      while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "could not read " + topic.name() + " to its end in " + timeout);
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          each.accept(r);
          read++;
        }
        progress.accept(read);
      }
    }
  }
}
