package dev.refinery.feedback;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the records of gateway requests in Kafka transactions, all of a request or none: a writer
 * thread takes every request waiting and commits them in one transaction (group commit), so
 * concurrent requests share the cost of a commit. A request learns its outcome from its future;
 * after a failure the producer is replaced, so the next transaction starts clean.
 */
final class FeedbackWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FeedbackWriter.class);
  private static final int MAX_REQUESTS_PER_TRANSACTION = 512;

  private record Write(
      List<ProducerRecord<String, byte[]>> records, CompletableFuture<Void> done) {}

  private final Supplier<Producer<String, byte[]>> producers;
  private final BlockingQueue<Write> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closed;
  private Producer<String, byte[]> producer;

  FeedbackWriter(Supplier<Producer<String, byte[]>> producers) {
    this.producers = producers;
    this.thread = new Thread(this::run, "feedback-writer");
    thread.setDaemon(true);
    thread.start();
  }

  static FeedbackWriter create(FeedbackConfig config) {
    return new FeedbackWriter(
        () ->
            new KafkaProducer<>(
                Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    config.bootstrapServers(),
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                    config.transactionalId(),
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                    true,
                    ProducerConfig.ACKS_CONFIG,
                    "all",
                    ProducerConfig.LINGER_MS_CONFIG,
                    1,
                    ProducerConfig.COMPRESSION_TYPE_CONFIG,
                    "lz4",
                    ProducerConfig.MAX_BLOCK_MS_CONFIG,
                    15_000,
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                    30_000,
                    ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                    15_000,
                    ProducerConfig.RETRY_BACKOFF_MS_CONFIG,
                    10),
                new StringSerializer(),
                new ByteArraySerializer()));
  }

  /** Queues the records of one request; the future completes when they are committed. */
  CompletableFuture<Void> write(List<ProducerRecord<String, byte[]>> records) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new KafkaException("the gateway is shutting down"));
    } else {
      queue.add(new Write(List.copyOf(records), done));
    }
    return done;
  }

  private void run() {
    List<Write> batch = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
      try {
        Write first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_REQUESTS_PER_TRANSACTION - 1);
        commit(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } finally {
        batch.clear();
      }
    }
    for (Write w; (w = queue.poll()) != null; ) {
      w.done().completeExceptionally(new KafkaException("the gateway is shutting down"));
    }
    if (producer != null) {
      producer.close();
    }
  }

  private void commit(List<Write> batch) {
    try {
      if (producer == null) {
        producer = producers.get();
        producer.initTransactions();
      }
      producer.beginTransaction();
      for (Write w : batch) {
        for (ProducerRecord<String, byte[]> record : w.records()) {
          producer.send(record);
        }
      }
      producer.commitTransaction();
      batch.forEach(w -> w.done().complete(null));
    } catch (KafkaException e) {
      LOG.warn("transaction of {} request(s) failed: {}", batch.size(), e.toString());
      if (producer != null) {
        try {
          producer.close(java.time.Duration.ofSeconds(5));
        } catch (RuntimeException ignored) {
          // closing a broken producer
        }
        producer = null;
      }
      batch.forEach(w -> w.done().completeExceptionally(e));
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
