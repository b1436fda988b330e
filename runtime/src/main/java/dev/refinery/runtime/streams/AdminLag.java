package dev.refinery.runtime.streams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * The input waiting for a consumer group, as the cluster sees it: for each partition of its input
 * topics, the last stable offset (read_committed) less the group's committed offset, or less the
 * partition's start where the group has committed none. Unlike a consumer's {@code records-lag},
 * this counts partitions whose tasks never started fetching, which is what a stage stuck before its
 * first record looks like.
 *
 * <p>On a topic written in transactions the last committed offset of a group that has read
 * everything may sit on a transaction's marker, one before the end: one offset a partition is not
 * counted, so an idle stage shows no lag. (A single record waiting on a topic written without
 * transactions is then not seen here; the consumer's own lag sees it once fetched.)
 */
public final class AdminLag {
  private AdminLag() {}

  /**
   * The records waiting for {@code group} on {@code topics}.
   *
   * @throws Exception if the cluster does not answer in {@code timeout}
   */
  public static long of(Admin admin, String group, Collection<String> topics, Duration timeout)
      throws Exception {
    return snapshot(admin, group, topics, timeout).lag();
  }

  /**
   * The group's offsets and the ends of its topics' partitions, the offsets asked for first: a
   * partition whose end is then at most one past them was read up to the moment the ends were asked
   * for ({@link Snapshot#at}), and nothing had been written to it since.
   *
   * @throws Exception if the cluster does not answer in {@code timeout}
   */
  public static Snapshot snapshot(
      Admin admin, String group, Collection<String> topics, Duration timeout) throws Exception {
    long ms = timeout.toMillis();
    List<TopicPartition> partitions = partitions(admin, topics, ms);
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(ms, TimeUnit.MILLISECONDS);
    long at = System.currentTimeMillis();
    Map<TopicPartition, Long> ends =
        offsets(admin, partitions, OffsetSpec.latest(), IsolationLevel.READ_COMMITTED, ms);
    Map<TopicPartition, Long> written =
        offsets(admin, partitions, OffsetSpec.latest(), IsolationLevel.READ_UNCOMMITTED, ms);
    // a partition's start only where the group has committed nothing: one call less, mostly
    List<TopicPartition> unread =
        partitions.stream().filter(tp -> committed.get(tp) == null).toList();
    Map<TopicPartition, Long> read =
        unread.isEmpty()
            ? new HashMap<>()
            : offsets(admin, unread, OffsetSpec.earliest(), IsolationLevel.READ_COMMITTED, ms);
    committed.forEach(
        (tp, o) -> {
          if (o != null && ends.containsKey(tp)) {
            read.put(tp, o.offset());
          }
        });
    return new Snapshot(at, read, ends, written);
  }

  /**
   * The last stable offset of every partition of {@code topics} now: where read_committed readers
   * stop.
   *
   * @throws Exception if the cluster does not answer in {@code timeout}
   */
  public static Map<TopicPartition, Long> lastStableOffsets(
      Admin admin, Collection<String> topics, Duration timeout) throws Exception {
    long ms = timeout.toMillis();
    return offsets(
        admin,
        partitions(admin, topics, ms),
        OffsetSpec.latest(),
        IsolationLevel.READ_COMMITTED,
        ms);
  }

  private static List<TopicPartition> partitions(Admin admin, Collection<String> topics, long ms)
      throws Exception {
    Map<String, TopicDescription> described =
        admin.describeTopics(topics).allTopicNames().get(ms, TimeUnit.MILLISECONDS);
    List<TopicPartition> partitions = new ArrayList<>();
    described
        .values()
        .forEach(
            d ->
                d.partitions()
                    .forEach(p -> partitions.add(new TopicPartition(d.name(), p.partition()))));
    return partitions;
  }

  private static Map<TopicPartition, Long> offsets(
      Admin admin,
      List<TopicPartition> partitions,
      OffsetSpec spec,
      IsolationLevel isolation,
      long ms)
      throws Exception {
    Map<TopicPartition, OffsetSpec> asked = new HashMap<>();
    partitions.forEach(tp -> asked.put(tp, spec));
    Map<TopicPartition, ListOffsetsResultInfo> answered =
        admin
            .listOffsets(asked, new ListOffsetsOptions(isolation))
            .all()
            .get(ms, TimeUnit.MILLISECONDS);
    Map<TopicPartition, Long> out = new HashMap<>();
    answered.forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  /**
   * What the cluster said of a group's input at one moment.
   *
   * @param at when the ends were asked for, by this process's clock (after the group's offsets were
   *     answered)
   * @param read the group's committed offset of each partition, or the partition's start where it
   *     has committed none
   * @param ends the last stable offset of each partition (read_committed): the end of what a reader
   *     may read
   * @param written the high watermark of each partition: past the last stable offset where a
   *     transaction is open on it
   */
  public record Snapshot(
      long at,
      Map<TopicPartition, Long> read,
      Map<TopicPartition, Long> ends,
      Map<TopicPartition, Long> written) {

    /** The records waiting, over all partitions (one offset a partition not counted: a marker). */
    public long lag() {
      return lag(topic -> true);
    }

    /** The records waiting on the partitions of the topics {@code topics} accepts. */
    public long lag(Predicate<String> topics) {
      long lag = 0;
      for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
        if (topics.test(end.getKey().topic())) {
          lag += Math.max(0, end.getValue() - read.getOrDefault(end.getKey(), 0L) - 1);
        }
      }
      return lag;
    }

    /**
     * When a reader of {@code partition} whose next offset is {@code next} (or the group's
     * committed offset, if further) had read everything of it: {@link #at}, where that is at most
     * one before its end (a transaction's marker) and no transaction was open on it; else {@link
     * Long#MIN_VALUE}, as for a partition this snapshot does not know. A record written then
     * without a transaction, alone at the end, counts as read: Refinery's producers write in
     * transactions.
     */
    public long readAt(TopicPartition partition, long next) {
      Long end = ends.get(partition);
      Long high = written.get(partition);
      Long committed = read.get(partition);
      if (end == null || high == null || high > end) {
        return Long.MIN_VALUE;
      }
      long position = Math.max(next, committed == null ? 0 : committed);
      return position >= end - 1 ? at : Long.MIN_VALUE;
    }
  }
}
