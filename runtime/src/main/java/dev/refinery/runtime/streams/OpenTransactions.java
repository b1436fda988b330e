package dev.refinery.runtime.streams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * The input partitions that a transaction left open holds: a read_committed reader sees a partition
 * only up to the first record of a transaction still open on it, so a stage whose writer was killed
 * in the middle of one waits there, idle and with nothing it can read, until the writer's
 * transactional id is started again or the broker aborts the transaction at its timeout (5 minutes
 * for ingest). Nothing in the stage's own metrics tells that apart from a quiet input. A partition
 * counts as held once its last stable offset has stayed where it is, below its high watermark, for
 * {@link #REPORT_AFTER} (a transaction of Refinery's writers lasts milliseconds to seconds); only
 * then is the cluster asked, once, which producer holds it.
 */
final class OpenTransactions {
  /** How long a partition's last stable offset stays below its end before it counts as held. */
  static final Duration REPORT_AFTER = Duration.ofSeconds(60);

  /** Who holds a partition, as the cluster says. */
  interface Holders {
    /**
     * The transaction open on {@code partition} at {@code offset}, its first record.
     *
     * @return null where the cluster does not say
     */
    Holder at(TopicPartition partition, long offset);
  }

  /**
   * A producer whose transaction is open.
   *
   * @param producerId the producer's id
   * @param transactionalId its transactional id; null where the cluster does not tell it to this
   *     stage's principal (which then lacks DESCRIBE on the id)
   */
  record Holder(long producerId, String transactionalId) {}

  /**
   * A partition held at {@code offset} for {@code heldFor}, by {@code holder} (null: not known).
   */
  record Held(TopicPartition partition, long offset, Duration heldFor, Holder holder) {
    /** What an operator reads in the stage's health. */
    String describe() {
      String by =
          holder == null
              ? "a transaction still open"
              : "a transaction still open by producer id "
                  + holder.producerId()
                  + (holder.transactionalId() == null
                      ? ""
                      : " (transactional id " + holder.transactionalId() + ")");
      return partition
          + " waits at offset "
          + offset
          + " for "
          + heldFor.toSeconds()
          + " s, behind "
          + by
          + ": start the process with that transactional id again to abort it at once, or it is"
          + " aborted at its transaction timeout (docs/operations.md)";
    }
  }

  private static final class Entry {
    final long offset;
    final long since;
    boolean asked;
    Holder holder;

    Entry(long offset, long since) {
      this.offset = offset;
      this.since = since;
    }
  }

  private final Duration reportAfter;
  private final Map<TopicPartition, Entry> entries = new HashMap<>();

  OpenTransactions(Duration reportAfter) {
    this.reportAfter = reportAfter;
  }

  /**
   * Takes what the cluster said at {@code nowMs}: a partition whose last stable offset is below its
   * high watermark and where it was before is held since it was first seen there; the holder of one
   * held for {@link #reportAfter} is asked for once.
   *
   * @return the partitions held for {@link #reportAfter} since this observation, not before
   */
  synchronized List<Held> observe(AdminLag.Snapshot snapshot, long nowMs, Holders holders) {
    Map<TopicPartition, Entry> next = new HashMap<>();
    snapshot
        .ends()
        .forEach(
            (tp, stable) -> {
              Long high = snapshot.written().get(tp);
              if (high == null || high <= stable) {
                return;
              }
              Entry e = entries.get(tp);
              next.put(tp, e != null && e.offset == stable ? e : new Entry(stable, nowMs));
            });
    entries.clear();
    entries.putAll(next);
    List<Held> reported = new ArrayList<>();
    for (Map.Entry<TopicPartition, Entry> e : entries.entrySet()) {
      Entry entry = e.getValue();
      if (!entry.asked && nowMs - entry.since >= reportAfter.toMillis()) {
        entry.asked = true;
        entry.holder = holders.at(e.getKey(), entry.offset);
        reported.add(
            new Held(
                e.getKey(), entry.offset, Duration.ofMillis(nowMs - entry.since), entry.holder));
      }
    }
    return reported;
  }

  /** The partitions held for {@link #reportAfter} or longer, at {@code nowMs}. */
  synchronized List<Held> held(long nowMs) {
    List<Held> held = new ArrayList<>();
    entries.forEach(
        (tp, e) -> {
          if (e.asked) {
            held.add(new Held(tp, e.offset, Duration.ofMillis(nowMs - e.since), e.holder));
          }
        });
    held.sort(
        Comparator.comparing((Held h) -> h.partition().topic())
            .thenComparingInt(h -> h.partition().partition()));
    return held;
  }
}
