package dev.refinery.bridge;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.pairs.RewardPairs;
import dev.refinery.runtime.streams.AdminLag;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartition;

/**
 * One read of feedback.rm-pairs.v1 shared by the calls of {@code GET /v1/rm-pairs} that overlap
 * while the topic stands still: each call read the whole topic and spooled it to a file of its own,
 * so the ranks of a trainer asking at once read it as many times and took as many times its bytes
 * on disk. A call whose topic (its committed end offsets) is as the current read's shares that
 * read, waiting for it if it is under way; a call that finds the topic moved starts a new one, so
 * that every call answers with the pairs as they are at its time or later. The spool is deleted
 * when the last call that shares it ends.
 *
 * @param <P> what a read holds ({@link RewardPairs}), closed when its last call ends
 */
final class SharedPairs<P extends AutoCloseable> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SharedPairs.class);

  private final Supplier<Map<TopicPartition, Long>> ends;
  private final Supplier<P> reader;

  /** The latest read and the calls that share it; null when none uses one. */
  private Read<P> current;

  private int reads;

  private static final class Read<P> {
    final Map<TopicPartition, Long> ends;
    final CompletableFuture<P> pairs = new CompletableFuture<>();
    int users;

    Read(Map<TopicPartition, Long> ends) {
      this.ends = ends;
    }
  }

  /** What one call holds: the pairs it writes, until it closes. */
  final class Lease implements AutoCloseable {
    private final Read<P> read;
    private final P pairs;
    private boolean closed;

    private Lease(Read<P> read, P pairs) {
      this.read = read;
      this.pairs = pairs;
    }

    P pairs() {
      return pairs;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        release(read);
      }
    }
  }

  /**
   * @param ends the topic's committed end offsets now
   * @param reader reads the whole topic into a spool
   */
  SharedPairs(Supplier<Map<TopicPartition, Long>> ends, Supplier<P> reader) {
    this.ends = ends;
    this.reader = reader;
  }

  /** Shared reads of the topic on the cluster of {@code clients}. */
  static SharedPairs<RewardPairs> of(KafkaClients clients) {
    return new SharedPairs<>(
        () -> committedEnds(clients), () -> RewardPairs.read(clients, n -> {}));
  }

  /**
   * The pairs as they are now or later, read by this call or shared with the calls that overlap it.
   *
   * @throws RuntimeException what reading the topic, or its end offsets, failed with
   */
  Lease acquire() {
    Map<TopicPartition, Long> now = ends.get();
    Read<P> read;
    boolean reading = false;
    synchronized (this) {
      if (current != null
          && current.ends.equals(now)
          && !current.pairs.isCompletedExceptionally()) {
        read = current;
      } else {
        // the topic moved (or nothing is shared): the calls on the read before keep theirs
        read = new Read<>(now);
        current = read;
        reading = true;
        reads++;
      }
      read.users++;
    }
    if (reading) {
      try {
        read.pairs.complete(reader.get());
      } catch (RuntimeException e) {
        read.pairs.completeExceptionally(e);
      }
    }
    try {
      return new Lease(read, read.pairs.join());
    } catch (CompletionException e) {
      release(read);
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /** How many times the topic has been read. */
  synchronized int reads() {
    return reads;
  }

  private void release(Read<P> read) {
    synchronized (this) {
      if (--read.users > 0) {
        return;
      }
      if (current == read) {
        current = null;
      }
    }
    // the last call on it has ended: its spool goes
    if (read.pairs.isDone() && !read.pairs.isCompletedExceptionally()) {
      try {
        read.pairs.join().close();
      } catch (Exception e) {
        LOG.warn("cannot delete the pairs' spool: {}", e.toString());
      }
    }
  }

  /** The committed end offsets of feedback.rm-pairs.v1 now, as a read_committed reader has them. */
  static Map<TopicPartition, Long> committedEnds(KafkaClients clients) {
    String topic = Topics.FEEDBACK_RM_PAIRS.name();
    try (Admin admin =
        Admin.create(
            clients.admin(
                Map.of(
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000)))) {
      return AdminLag.lastStableOffsets(admin, List.of(topic), Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the end offsets of " + topic, e);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot read the end offsets of " + topic + ": " + e.getMessage(), e);
    }
  }
}
