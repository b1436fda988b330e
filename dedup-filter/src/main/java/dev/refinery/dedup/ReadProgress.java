package dev.refinery.dedup;

import java.util.Arrays;

/**
 * How far a bucket task has seen each partition of {@code corpus.raw.v1} read: the newest record
 * time (when ingest wrote the document, no later than the task's clock) among the documents whose
 * keys reached it from there, and when it last heard from there, by its own clock.
 *
 * <p>A held answer is due once every partition has been read past its document's record time and
 * the hold, or is quiet. A smaller copy written within a hold of the document has then been seen,
 * however far behind its partition was read: under a backlog the partitions are read seconds apart,
 * and a hold by the clock alone let such copies through (both kept, neither a duplicate of a larger
 * one). Under a steady load the partitions are read within the hold, and the answer is due when the
 * clock says, as before.
 *
 * <p>A partition is quiet when the task has not heard from it for a hold and either reads documents
 * as they are written (its newest record time is within {@link #LIVE_LAG_MS} of its clock: the
 * partition has nothing more to read) or the stage had read all its input when last asked (the
 * backlog is read). Kept in memory: a task that starts has heard from none since it started.
 */
final class ReadProgress {
  /**
   * How far behind the clock the newest record time may be for the task to count as reading
   * documents as they are written (this, or twice the hold if that is longer): then a partition it
   * has not heard from for a hold has nothing to read. Further behind, it reads a backlog, and a
   * partition goes unheard for seconds while others are read (up to 14 s seen by {@code bench/run
   * dedup}, and the task itself hears from none for over a second many times): it counts as quiet
   * only once the stage has read all its input.
   */
  static final long LIVE_LAG_MS = 10_000;

  /** More partitions than this are not tracked (a corrupt instance): they never hold an answer. */
  static final int MAX_PARTITIONS = 100_000;

  private final long holdMs;
  private final long liveLagMs;
  private final long startedAt;
  private long[] newest = new long[0];
  private long[] heardAt = new long[0];

  /** The newest record time heard from any partition. */
  private long newestOfAll = Long.MIN_VALUE;

  /**
   * @param partitions the partitions of {@code corpus.raw.v1} as the topology was built (more are
   *     added as they are heard from)
   * @param now when the task started, by its clock
   */
  ReadProgress(long holdMs, int partitions, long now) {
    this.holdMs = holdMs;
    this.liveLagMs = Math.max(LIVE_LAG_MS, 2 * holdMs);
    this.startedAt = now;
    grow(Math.max(0, Math.min(partitions, MAX_PARTITIONS)));
  }

  /**
   * A document of {@code partition}, written at {@code recordTime}, reached the task {@code now}.
   */
  void heard(int partition, long recordTime, long now) {
    if (partition < 0 || partition >= MAX_PARTITIONS) {
      return;
    }
    if (partition >= newest.length) {
      grow(partition + 1);
    }
    long time = Math.min(recordTime, now);
    newest[partition] = Math.max(newest[partition], time);
    newestOfAll = Math.max(newestOfAll, time);
    heardAt[partition] = now;
  }

  /**
   * Whether every partition has been read past {@code recordTime} and the hold, or is quiet.
   *
   * @param caughtUp whether the stage had read all its input (raw and internal topics) when last
   *     asked ({@link dev.refinery.runtime.streams.InputLag})
   */
  boolean readPast(long recordTime, long now, boolean caughtUp) {
    long past = recordTime > Long.MAX_VALUE - holdMs ? Long.MAX_VALUE : recordTime + holdMs;
    // under a backlog a partition goes unheard for seconds while others are read: unheard, it has
    // nothing more to read only where the task reads documents as they are written, or where the
    // stage has read all its input
    boolean quietCounts =
        caughtUp || (newestOfAll != Long.MIN_VALUE && now - newestOfAll <= liveLagMs);
    for (int p = 0; p < newest.length; p++) {
      if (newest[p] < past && !(quietCounts && now - heardAt[p] >= holdMs)) {
        return false;
      }
    }
    return true;
  }

  /** The partition of an instance {@code <partition>:<offset>}; -1 for any other form. */
  static int partitionOf(String instance) {
    int colon = Member.partitionOffsetColon(instance);
    if (colon < 0 || colon > 9) {
      return -1;
    }
    long partition = Long.parseLong(instance, 0, colon, 10);
    return partition < MAX_PARTITIONS ? (int) partition : -1;
  }

  private void grow(int partitions) {
    int from = newest.length;
    newest = Arrays.copyOf(newest, partitions);
    heardAt = Arrays.copyOf(heardAt, partitions);
    Arrays.fill(newest, from, partitions, Long.MIN_VALUE);
    Arrays.fill(heardAt, from, partitions, startedAt);
  }
}
