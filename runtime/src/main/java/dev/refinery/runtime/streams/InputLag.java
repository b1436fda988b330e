package dev.refinery.runtime.streams;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin-side lag of a Streams application's input topics ({@link AdminLag}), refreshed on a
 * thread of its own so that whoever reads it (a health probe, a stream thread) never waits on the
 * cluster; -1 until known.
 */
public final class InputLag implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InputLag.class);

  private final ScheduledExecutorService timer;
  private final Admin admin;

  /** What the cluster said when it last answered; null before it has, or when it last did not. */
  private volatile AdminLag.Snapshot snapshot;

  /** The records waiting when the cluster last answered; -1 before it has. */
  private volatile long lag = -1;

  /** The input partitions held by a transaction left open. */
  private final OpenTransactions open;

  /**
   * Starts refreshing at once.
   *
   * @param config the application's Streams settings (its admin client's come from them)
   * @param topics the input topics, internal ones by their full names
   * @param every how often the lag is asked for
   * @param name what the client and the thread are called after the application id
   */
  public InputLag(
      Properties config, String applicationId, Set<String> topics, Duration every, String name) {
    this(config, applicationId, topics, every, name, OpenTransactions.REPORT_AFTER);
  }

  /**
   * As the other constructor, and reporting an input partition as {@link #held} once a transaction
   * left open has held it for {@code heldAfter}.
   */
  public InputLag(
      Properties config,
      String applicationId,
      Set<String> topics,
      Duration every,
      String name,
      Duration heldAfter) {
    this.open = new OpenTransactions(heldAfter);
    this.admin =
        Admin.create(new StreamsConfig(config).getAdminConfigs(applicationId + "-" + name));
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, applicationId + "-" + name);
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            AdminLag.Snapshot answer =
                AdminLag.snapshot(admin, applicationId, topics, Duration.ofSeconds(10));
            lag = answer.lag();
            snapshot = answer;
            for (OpenTransactions.Held held : open.observe(answer, answer.at(), this::holder)) {
              LOG.warn("{}: {}", applicationId, held.describe());
            }
          } catch (Exception e) {
            snapshot = null;
            LOG.debug("input lag of {} not known now: {}", applicationId, e.toString());
          }
        },
        0,
        every.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * The producer whose transaction, open on {@code partition} from {@code offset}, holds it; and
   * its transactional id where the cluster tells it (the principal may describe that id).
   */
  private OpenTransactions.Holder holder(TopicPartition partition, long offset) {
    try {
      OptionalLong producerId =
          admin
              .describeProducers(List.of(partition))
              .partitionResult(partition)
              .get(10, TimeUnit.SECONDS)
              .activeProducers()
              .stream()
              .filter(p -> p.currentTransactionStartOffset().orElse(-1) == offset)
              .mapToLong(ProducerState::producerId)
              .findFirst();
      if (producerId.isEmpty()) {
        return null;
      }
      String transactionalId =
          admin
              .listTransactions(
                  new ListTransactionsOptions().filterProducerIds(Set.of(producerId.getAsLong())))
              .all()
              .get(10, TimeUnit.SECONDS)
              .stream()
              .map(TransactionListing::transactionalId)
              .findFirst()
              .orElse(null);
      return new OpenTransactions.Holder(producerId.getAsLong(), transactionalId);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      LOG.debug("the holder of {} at {} not known: {}", partition, offset, e.toString());
      return null;
    }
  }

  /**
   * The input partitions that a transaction left open has held for a minute or more (or as
   * constructed), each as an operator reads it: where it waits, how long, and the transaction's
   * producer.
   */
  public List<String> held() {
    AdminLag.Snapshot s = snapshot;
    if (s == null) {
      return List.of();
    }
    return open.held(s.at()).stream().map(OpenTransactions.Held::describe).toList();
  }

  /** The records waiting when the cluster last answered, or -1 before it has. */
  public long get() {
    return lag;
  }

  /**
   * The records waiting on the topics {@code topics} accepts when the cluster last answered, or -1
   * while it does not.
   */
  public long get(Predicate<String> topics) {
    AdminLag.Snapshot s = snapshot;
    return s == null ? -1 : s.lag(topics);
  }

  /**
   * When a reader of {@code partition} at offset {@code next} had read all of it, as the cluster
   * last said ({@link AdminLag.Snapshot#readAt}); {@link Long#MIN_VALUE} where not known, or while
   * the cluster does not answer.
   */
  public long readAt(TopicPartition partition, long next) {
    AdminLag.Snapshot s = snapshot;
    return s == null ? Long.MIN_VALUE : s.readAt(partition, next);
  }

  @Override
  public void close() {
    timer.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }
}
