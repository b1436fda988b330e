package dev.refinery.dedup;

import java.util.Arrays;

/**
 * How far a bucket task has seen each partition of {@code corpus.raw.v1} read: the newest record
 * time (when ingest wrote the document, no later than the task's clock) among the documents whose
 * keys reached it from there, or the moment a {@link ReadMark} says the partition had been read to
 * its end, if later.
 *
 * <p>A held answer is due once every partition has been read past its document's record time and
 * the hold. A smaller copy written within a hold of the document has then been seen, however far
 * behind its partition was read: under a backlog the partitions are read seconds apart, and a hold
 * by the clock alone let such copies through (both kept, neither a duplicate of a larger one). A
 * partition's keys and marks reach a task in the order they were read, so nothing it has not seen
 * is older than what it has.
 *
 * <p>A partition is never taken for done because it has not been heard from: under a backlog a
 * partition goes unheard for seconds while others are read (up to 14 s seen by {@code bench/run
 * dedup}), and a backlog written seconds before it is read looks like documents read as they are
 * written (a rule that took a partition unheard for a hold as done while the newest record time was
 * within 10 s of the clock let copies through at the end of {@code bench/run pipeline}). Kept in
 * memory: a task that starts has seen no partition read past anything.
 */
final class ReadProgress {
  /** More partitions than this are not tracked (a corrupt instance): they never hold an answer. */
  static final int MAX_PARTITIONS = 100_000;

  private final long holdMs;
  private long[] newest = new long[0];

  /**
   * @param partitions the partitions of {@code corpus.raw.v1} as the topology was built (more are
   *     added as they are heard from)
   */
  ReadProgress(long holdMs, int partitions) {
    this.holdMs = holdMs;
    grow(Math.max(0, Math.min(partitions, MAX_PARTITIONS)));
  }

  /**
   * {@code partition} was read past {@code time}: a document of it written then reached the task
   * {@code now}, or a {@link ReadMark} says it had been read to its end then.
   *
   * @return whether the partition is now read further than before
   */
  boolean heard(int partition, long time, long now) {
    if (partition < 0 || partition >= MAX_PARTITIONS) {
      return false;
    }
    if (partition >= newest.length) {
      grow(partition + 1);
    }
    long read = Math.min(time, now);
    if (read <= newest[partition]) {
      return false;
    }
    newest[partition] = read;
    return true;
  }

  /** Whether every partition has been read past {@code recordTime} and the hold. */
  boolean readPast(long recordTime) {
    long past = recordTime > Long.MAX_VALUE - holdMs ? Long.MAX_VALUE : recordTime + holdMs;
    for (long read : newest) {
      if (read < past) {
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
    Arrays.fill(newest, from, partitions, Long.MIN_VALUE);
  }
}
