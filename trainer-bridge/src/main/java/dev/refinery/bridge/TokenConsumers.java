package dev.refinery.bridge;

import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The bridge's readers of token topics: {@code read_committed} (only batches of committed tokenizer
 * transactions), no consumer group and no committed offsets (positions are the bridge's own),
 * fetches large enough for the largest batch.
 */
final class TokenConsumers {
  private TokenConsumers() {}

  static KafkaConsumer<String, byte[]> create(
      BridgeConfig config, String clientId, Map<String, Object> more) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    settings.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.LARGE_MESSAGE_BYTES);
    settings.putAll(more);
    return new KafkaConsumer<>(
        config.kafka().consumer(settings), new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * The partitions of a stream's token topic.
   *
   * @throws IllegalArgumentException saying what to check, if the topic does not exist
   */
  static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String stream) {
    String topic = Topics.tokens(stream).name();
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalArgumentException(
          "topic "
              + topic
              + " does not exist: is stream '"
              + stream
              + "' declared, and the pipeline's topics provisioned?");
    }
    return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }
}
