package dev.refinery.ingest;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;

/**
 * Sends records and commits transactions on its own thread, so that reading and parsing the input
 * overlap with the producer's compression and I/O. The caller hands over records and commit points
 * in order; a commit point's callback runs once that transaction is committed. What is queued is
 * bounded in bytes.
 *
 * <p>If Kafka fails, the open transaction is aborted (unless the producer was fenced) and the
 * failure is thrown to the caller at its next call.
 */
final class TransactionalSender implements AutoCloseable {
  private static final int QUEUE_KIB = 64 * 1024;

  private sealed interface Item permits Send, Commit, End {}

  private record Send(ProducerRecord<String, byte[]> record, int kib) implements Item {}

  private record Commit(Runnable onCommitted) implements Item {}

  private record End() implements Item {}

  private final Producer<String, byte[]> producer;
  private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(8192);
  private final Semaphore budget = new Semaphore(QUEUE_KIB);
  private final Thread thread;
  private volatile KafkaException failure;
  private boolean inTransaction;

  TransactionalSender(Producer<String, byte[]> producer, String name) {
    this.producer = producer;
    this.thread = new Thread(this::run, "ingest-send-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues a record for the current transaction. */
  void send(String topic, String key, byte[] value) {
    int kib = Math.min(QUEUE_KIB, value.length / 1024 + 1);
    acquire(kib);
    put(new Send(new ProducerRecord<>(topic, key, value), kib));
  }

  /** Queues the commit of everything queued so far; {@code onCommitted} runs after it succeeds. */
  void commit(Runnable onCommitted) {
    put(new Commit(onCommitted));
  }

  /**
   * Waits until everything queued is sent and committed.
   *
   * @throws KafkaException what Kafka failed with, if it did
   */
  void finish() {
    put(new End());
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while waiting for Kafka", e);
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void run() {
    try {
      while (true) {
        Item item = queue.take();
        if (item instanceof End) {
          return;
        }
        if (failure != null) {
          release(item);
          continue;
        }
        try {
          if (item instanceof Send send) {
            if (!inTransaction) {
              producer.beginTransaction();
              inTransaction = true;
            }
            producer.send(send.record());
            budget.release(send.kib());
          } else if (item instanceof Commit commit) {
            if (inTransaction) {
              producer.commitTransaction();
              inTransaction = false;
            }
            commit.onCommitted().run();
          }
        } catch (KafkaException e) {
          release(item);
          fail(e);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void fail(KafkaException e) {
    failure = e;
    boolean fatal =
        e instanceof ProducerFencedException
            || e instanceof InvalidProducerEpochException
            || e instanceof AuthorizationException;
    if (inTransaction && !fatal) {
      try {
        producer.abortTransaction();
      } catch (KafkaException abortFailed) {
        e.addSuppressed(abortFailed);
      }
    }
    inTransaction = false;
  }

  private void release(Item item) {
    if (item instanceof Send send) {
      budget.release(send.kib());
    }
  }

  private void acquire(int kib) {
    try {
      while (!budget.tryAcquire(kib, 100, TimeUnit.MILLISECONDS)) {
        rethrow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while queueing a record", e);
    }
  }

  private void put(Item item) {
    try {
      while (!queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
        rethrow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while queueing a record", e);
    }
    rethrow();
  }

  private void rethrow() {
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public void close() {
    thread.interrupt();
  }
}
