package dev.refinery.runtime.streams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
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
    long ms = timeout.toMillis();
    Map<String, TopicDescription> described =
        admin.describeTopics(topics).allTopicNames().get(ms, TimeUnit.MILLISECONDS);
    List<TopicPartition> partitions = new ArrayList<>();
    described
        .values()
        .forEach(
            d ->
                d.partitions()
                    .forEach(p -> partitions.add(new TopicPartition(d.name(), p.partition()))));
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    partitions.forEach(
        tp -> {
          latest.put(tp, OffsetSpec.latest());
          earliest.put(tp, OffsetSpec.earliest());
        });
    ListOffsetsOptions committedOnly = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
    var ends = admin.listOffsets(latest, committedOnly).all().get(ms, TimeUnit.MILLISECONDS);
    var starts = admin.listOffsets(earliest, committedOnly).all().get(ms, TimeUnit.MILLISECONDS);
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(ms, TimeUnit.MILLISECONDS);
    long lag = 0;
    for (TopicPartition tp : partitions) {
      long end = ends.get(tp).offset();
      OffsetAndMetadata at = committed.get(tp);
      long from = at != null ? at.offset() : starts.get(tp).offset();
      lag += Math.max(0, end - from - 1);
    }
    return lag;
  }
}
