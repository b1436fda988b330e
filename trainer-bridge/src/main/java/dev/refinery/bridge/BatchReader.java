package dev.refinery.bridge;

import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Reads the token batches of some streams, in offset order per partition, {@code read_committed}:
 * only batches of committed tokenizer transactions, never those of an aborted attempt. Reads every
 * partition of every stream's topic itself (no consumer group), from the beginning or the end.
 *
 * <p>A record that does not decode is handed back with the reason, not thrown.
 */
public final class BatchReader implements AutoCloseable {
  /** Where reading starts. */
  public enum Start {
    BEGINNING,
    END
  }

  private final KafkaConsumer<String, byte[]> consumer;

  public BatchReader(BridgeConfig config, Start start) {
    this.consumer = TokenConsumers.create(config, config.clientId(), Map.of());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String stream : config.streams()) {
      String topic = Topics.tokens(stream).name();
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        consumer.close();
        throw new IllegalArgumentException(
            "topic "
                + topic
                + " does not exist: is stream '"
                + stream
                + "' declared, and the pipeline's topics provisioned?");
      }
      infos.forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    }
    consumer.assign(partitions);
    if (start == Start.BEGINNING) {
      consumer.seekToBeginning(partitions);
    } else {
      consumer.seekToEnd(partitions);
    }
  }

  /** The batches that arrived, waiting at most {@code timeout} for the first. */
  public List<ReceivedBatch> poll(Duration timeout) {
    List<ReceivedBatch> out = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
      String stream = Topics.streamOf(r.topic());
      try {
        out.add(
            new ReceivedBatch(
                r.topic(),
                r.partition(),
                r.offset(),
                Topics.tokens(stream).deserialize(r.value()),
                null));
      } catch (SerializationException e) {
        out.add(new ReceivedBatch(r.topic(), r.partition(), r.offset(), null, e.getMessage()));
      }
    }
    return out;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
