package dev.refinery.bridge;

import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
  // one decoder per topic, not one per record
  private final Map<String, TopicBinding<String, TokenBatch>> bindings = new HashMap<>();

  public BatchReader(BridgeConfig config, Start start) {
    this.consumer = TokenConsumers.create(config, config.clientId(), Map.of());
    List<TopicPartition> partitions = new ArrayList<>();
    try {
      for (String stream : config.streams()) {
        partitions.addAll(TokenConsumers.partitions(consumer, stream));
      }
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
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
      TopicBinding<String, TokenBatch> binding =
          bindings.computeIfAbsent(r.topic(), t -> Topics.tokens(Topics.streamOf(t)));
      try {
        out.add(
            new ReceivedBatch(
                r.topic(), r.partition(), r.offset(), binding.deserialize(r.value()), null));
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
