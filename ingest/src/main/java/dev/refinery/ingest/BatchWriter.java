package dev.refinery.ingest;

import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes a pushed batch in one Kafka transaction: all of its documents and rejections, or none. One
 * batch at a time. After a failure the producer is replaced, so the next batch starts clean (its
 * {@code initTransactions} aborts whatever the failed one left open).
 */
final class BatchWriter implements AutoCloseable {
  private final Supplier<Producer<String, byte[]>> producers;
  private Producer<String, byte[]> producer;

  BatchWriter(Supplier<Producer<String, byte[]>> producers) {
    this.producers = producers;
  }

  static BatchWriter create(IngestConfig config, String transactionalId) {
    return new BatchWriter(
        () ->
            new KafkaProducer<>(
                Ingestor.producerConfig(config, config.transactionalId(transactionalId)),
                new StringSerializer(),
                new ByteArraySerializer()));
  }

  /**
   * Writes every record of the batch and commits.
   *
   * @throws KafkaException if Kafka did not take them; then nothing of the batch was committed
   */
  synchronized void write(List<Parsed> batch) {
    // images are sent once a batch (an encoded document's were chosen as it was encoded); the
    // compacted topic keeps one copy across batches
    java.util.Set<String> sent = new java.util.HashSet<>();
    try {
      if (producer == null) {
        producer = producers.get();
        producer.initTransactions();
      }
      producer.beginTransaction();
      Producer<String, byte[]> p = producer;
      Parsed.Out out = (topic, key, value) -> p.send(new ProducerRecord<>(topic, key, value));
      for (Parsed parsed : batch) {
        if (parsed instanceof Parsed.Encoded e) {
          e.send(out);
        } else if (parsed instanceof Parsed.Accepted a) {
          a.send(out, sent);
        } else if (parsed instanceof Parsed.Rejected r) {
          RejectedDocument rejection = r.rejection();
          producer.send(
              new ProducerRecord<>(
                  Topics.CORPUS_REJECTED.name(),
                  rejection.getDocId(),
                  Topics.CORPUS_REJECTED.serialize(rejection)));
        }
      }
      producer.commitTransaction();
    } catch (KafkaException e) {
      if (producer != null) {
        producer.close(Duration.ZERO);
        producer = null;
      }
      throw e;
    }
  }

  @Override
  public synchronized void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
