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
 * Writes the records of gateway requests, all of a request or none. A request of one record (a
 * webhook's label, the usual case) goes out on an idempotent producer: one record is written whole
 * or not at all, and the producer's retries cannot duplicate it. A request of several records goes
 * into a Kafka transaction: a writer thread takes every such request waiting and commits them
 * together (group commit), so concurrent requests share the cost of a commit. A request learns its
 * outcome from its future; after a failed transaction the transactional producer is replaced, so
 * the next one starts clean. The transactional producer is started as the writer is, so that what a
 * killed gateway left open is aborted at once, not at the next request of several records.
 */
final class FeedbackWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FeedbackWriter.class);
  private static final int MAX_REQUESTS_PER_TRANSACTION = 512;

  private record Write(
      List<ProducerRecord<String, byte[]>> records, CompletableFuture<Void> done) {}

  private final Supplier<Producer<String, byte[]>> producers;
  private final Producer<String, byte[]> single;
  private final FeedbackMetrics metrics;
  private final BlockingQueue<Write> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closed;
  private Producer<String, byte[]> producer;

  /**
   * @param producers makes transactional producers
   * @param single an idempotent producer for requests of one record
   */
  FeedbackWriter(
      Supplier<Producer<String, byte[]>> producers,
      Producer<String, byte[]> single,
      FeedbackMetrics metrics) {
    this.producers = producers;
    this.single = single;
    this.metrics = metrics;
    this.thread = new Thread(this::run, "feedback-writer");
    thread.setDaemon(true);
    thread.start();
  }

  static FeedbackWriter create(FeedbackConfig config, FeedbackMetrics metrics) {
    return new FeedbackWriter(
        () ->
            new KafkaProducer<>(
                producerConfig(config, true), new StringSerializer(), new ByteArraySerializer()),
        new KafkaProducer<>(
            producerConfig(config, false), new StringSerializer(), new ByteArraySerializer()),
        metrics);
  }

  /**
   * The settings of the gateway's producers: the transactional one that writes a request's records,
   * or the one for a single record. Compression and linger are tuning, which {@code
   * kafka.producer.*} settings override; the rest bound a request's time or its guarantees.
   */
  static Map<String, Object> producerConfig(FeedbackConfig config, boolean transactional) {
    Map<String, Object> tuning = new java.util.HashMap<>();
    tuning.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    tuning.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    Map<String, Object> own = new java.util.HashMap<>();
    own.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    own.put(ProducerConfig.ACKS_CONFIG, "all");
    own.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
    own.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    own.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    own.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 10);
    if (transactional) {
      own.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId());
    }
    return config.kafka().producer(tuning, own);
  }

  /** Queues the records of one request; the future completes when they are committed. */
  CompletableFuture<Void> write(List<ProducerRecord<String, byte[]>> records) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new KafkaException("the gateway is shutting down"));
    } else if (records.size() == 1) {
      try {
        single.send(
            records.get(0),
            (metadata, e) -> {
              if (e == null) {
                done.complete(null);
              } else {
                done.completeExceptionally(e);
              }
            });
      } catch (KafkaException e) {
        done.completeExceptionally(e);
      }
    } else {
      queue.add(new Write(List.copyOf(records), done));
    }
    return done;
  }

  private void run() {
    // what a killed gateway left open is aborted now, not at the first request of several records
    // (until then read_committed readers, the joiner among them, wait at its first record)
    try {
      open();
    } catch (KafkaException e) {
      LOG.warn(
          "transactional producer not started yet (its first request starts it): {}", e.toString());
      dropProducer();
    }
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
    single.close();
  }

  private void commit(List<Write> batch) {
    try {
      open();
      long t0 = System.nanoTime();
      producer.beginTransaction();
      for (Write w : batch) {
        for (ProducerRecord<String, byte[]> record : w.records()) {
          producer.send(record);
        }
      }
      producer.commitTransaction();
      metrics.transaction(batch.size(), System.nanoTime() - t0);
      batch.forEach(w -> w.done().complete(null));
    } catch (KafkaException e) {
      LOG.warn("transaction of {} request(s) failed: {}", batch.size(), e.toString());
      dropProducer();
      batch.forEach(w -> w.done().completeExceptionally(e));
    }
  }

  /** Makes and starts the transactional producer, unless there is one. */
  private void open() {
    if (producer == null) {
      producer = producers.get();
      producer.initTransactions();
    }
  }

  /** Closes a producer that failed, so that the next transaction starts on a new one. */
  private void dropProducer() {
    if (producer != null) {
      try {
        producer.close(java.time.Duration.ofSeconds(5));
      } catch (RuntimeException ignored) {
        // closing a broken producer
      }
      producer = null;
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
