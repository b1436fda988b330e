package dev.refinery.ingest;

import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each pushed batch in one Kafka transaction: all of its documents and rejections, or none.
 * Batches are written side by side, each on a producer of its own ({@code ingest.http.writers} of
 * them, each with its own transactional id): with a single producer, concurrent pushes took turns
 * for the whole of each other's send and commit, so that the endpoint wrote no faster than one
 * transaction after another, however many clients sent at once. A batch takes the free producer
 * used last, so that pushes one after another keep to one.
 *
 * <p>After a failure a producer is replaced, so its next batch starts clean (its {@code
 * initTransactions} aborts whatever the failed one left open). {@link #start} starts every producer
 * at once, whether pushes come or not: a run that was killed in the middle of a transaction leaves
 * it open, and read_committed readers (dedup-filter) wait at its first record until the same
 * transactional id is started again or the transaction times out ({@code
 * ingest.transaction.timeout.ms}, 5 minutes).
 *
 * <p>A writer whose transactional id another producer has taken (a second ingest process with the
 * same ids) fails its batch saying so, is counted ({@link #fenced}), and starts again at its next
 * batch, taking the id back: two processes that share ids fence each other in turn, which the count
 * shows.
 */
final class BatchWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);

  private final List<Writer> writers;

  /** Where the waits of pushes for a free writer go; null until {@link #recordWaitsIn}. */
  private volatile Timer waits;

  /** The thread of {@link #start}, if started. */
  private Thread starter;

  /** The writers not writing a batch; the one freed last is taken first. */
  private final LinkedBlockingDeque<Writer> free = new LinkedBlockingDeque<>();

  /** Writes that found their writer's transactional id taken by another producer. */
  private final AtomicLong fenced = new AtomicLong();

  /**
   * @param ids the writers' transactional ids, one writer each
   * @param producers makes a producer with the transactional id it is given
   */
  BatchWriter(List<String> ids, Function<String, Producer<String, byte[]>> producers) {
    if (ids.isEmpty()) {
      throw new IllegalArgumentException("a batch writer needs at least one producer");
    }
    this.writers = ids.stream().map(id -> new Writer(id, () -> producers.apply(id))).toList();
    // the first is taken first
    writers.forEach(free::addLast);
  }

  /**
   * Writers with the transactional ids {@code <id>}, {@code <id>-1}, ... {@code <id>-<n-1>}, where
   * {@code <id>} is {@code ingest.transactional.id} or {@code transactionalId}, and {@code n} is
   * {@code ingest.http.writers}.
   */
  static BatchWriter create(IngestConfig config, String transactionalId) {
    int count = config.httpWriters();
    long buffer = bufferMemory(count);
    return new BatchWriter(
        transactionalIds(config.transactionalId(transactionalId), count),
        id ->
            new KafkaProducer<>(
                Ingestor.producerConfig(config, id, buffer),
                new StringSerializer(),
                new ByteArraySerializer()));
  }

  /**
   * Each writer's producer buffer: ingest's one buffer shared among them, and twice the largest
   * record at least. A producer keeps every buffer it has filled, up to its size.
   */
  static long bufferMemory(int writers) {
    return Math.max(2L * Topics.LARGE_MESSAGE_BYTES, Ingestor.BUFFER_MEMORY_BYTES / writers);
  }

  /** The transactional ids of {@code count} writers: the first is {@code id} itself. */
  static List<String> transactionalIds(String id, int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(i == 0 ? id : id + "-" + i);
    }
    return ids;
  }

  /**
   * Starts every writer's producer on a thread of its own, one after another: each {@code
   * initTransactions} fences an earlier run of its id and aborts what that left open. A writer
   * whose start fails (Kafka not reachable yet) is started again by its next batch.
   */
  synchronized void start() {
    starter =
        new Thread(
            () -> {
              for (Writer w : writers) {
                try {
                  w.open();
                } catch (KafkaException e) {
                  if (Thread.currentThread().isInterrupted()) {
                    return; // closing
                  }
                  LOG.warn(
                      "ingest writer not started yet (its first batch starts it): {}",
                      e.toString());
                }
              }
            },
            "ingest-writers-start");
    starter.setDaemon(true);
    starter.start();
  }

  /**
   * Writes every record of the batch and commits, waiting for a free writer first if all are busy.
   *
   * @throws KafkaException if Kafka did not take them; then nothing of the batch was committed
   */
  void write(List<Parsed> batch) {
    Writer writer;
    long t0 = System.nanoTime();
    try {
      writer = free.takeFirst();
      Timer timer = waits;
      if (timer != null) {
        timer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while waiting for a free ingest writer", e);
    }
    try {
      writer.write(batch);
    } catch (KafkaException e) {
      if (!isFenced(e)) {
        throw e;
      }
      fenced.incrementAndGet();
      String message =
          "another producer took transactional id "
              + writer.id
              + ": a second ingest process with the same "
              + IngestConfig.TRANSACTIONAL_ID
              + " (each needs its own; on Kubernetes, ingest's StatefulSet gives each pod its"
              + " name), or a transaction the broker aborted after "
              + IngestConfig.TRANSACTION_TIMEOUT_MS
              + " ("
              + e.getMessage()
              + ")";
      LOG.error("ingest writer fenced: {}; its next batch starts it again", message);
      throw new KafkaException(message, e);
    } finally {
      free.addFirst(writer);
    }
  }

  /**
   * Whether a failure, or one of its causes, says a newer producer holds the transactional id: the
   * producer reports it as it is, or wrapped in the error of the call that met it.
   */
  static boolean isFenced(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) {
        return true;
      }
    }
    return false;
  }

  /**
   * How many batches found their writer's transactional id taken by another producer since start:
   * more than a few means two processes share the ids, and take them from each other at every
   * batch.
   */
  long fenced() {
    return fenced.get();
  }

  /** How many writers there are. */
  int size() {
    return writers.size();
  }

  /** How many writers are writing a batch now. */
  int busy() {
    return writers.size() - free.size();
  }

  /** Where the waits of pushes for a free writer are recorded ({@link IngestMetrics}). */
  void recordWaitsIn(Timer timer) {
    this.waits = timer;
  }

  /** How many writers have a producer now (started and not failed since). */
  int started() {
    return (int) writers.stream().filter(Writer::isOpen).count();
  }

  @Override
  public void close() {
    synchronized (this) {
      if (starter != null) {
        // a start waiting for an unreachable broker holds its writer until max.block.ms
        starter.interrupt();
      }
    }
    // each waits for the batch it is writing
    writers.forEach(Writer::close);
  }

  /** One producer and the batches it writes, one at a time. */
  private static final class Writer {
    private final String id;
    private final Supplier<Producer<String, byte[]>> producers;
    private Producer<String, byte[]> producer;
    private boolean closed;

    Writer(String id, Supplier<Producer<String, byte[]>> producers) {
      this.id = id;
      this.producers = producers;
    }

    synchronized boolean isOpen() {
      return producer != null;
    }

    /** Makes and starts the producer, unless it has one. */
    synchronized void open() {
      if (closed) {
        throw new KafkaException("the ingest writer is closed");
      }
      if (producer == null) {
        Producer<String, byte[]> p = producers.get();
        try {
          p.initTransactions();
        } catch (KafkaException e) {
          p.close(Duration.ZERO);
          throw e;
        }
        producer = p;
      }
    }

    synchronized void write(List<Parsed> batch) {
      // images are sent once a batch (an encoded document's were chosen as it was encoded); the
      // compacted topic keeps one copy across batches
      Set<String> sent = new HashSet<>();
      open();
      try {
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
            out.send(
                Topics.CORPUS_REJECTED.name(),
                rejection.getDocId(),
                Topics.CORPUS_REJECTED.serialize(rejection));
          }
        }
        producer.commitTransaction();
      } catch (RuntimeException e) {
        // whatever failed, the transaction may be open: the next batch starts a new producer
        producer.close(Duration.ZERO);
        producer = null;
        throw e;
      }
    }

    synchronized void close() {
      closed = true;
      if (producer != null) {
        producer.close(Duration.ofSeconds(10));
        producer = null;
      }
    }
  }
}
