package dev.refinery.bridge;

import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Finds, in each partition of a stream's topic, the first offset whose batch index is at least a
 * given one: a binary search over offsets (indexes grow with offsets within a partition), a probe
 * being one fetch. Resume uses these offsets so as not to read a stream from its beginning.
 */
final class IndexSeeker implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;

  IndexSeeker(BridgeConfig config, String clientId) {
    this.consumer =
        TokenConsumers.create(config, clientId, Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1));
  }

  /**
   * Per partition of the stream's topic, the first offset holding a batch of index {@code >=
   * index}.
   */
  List<Cursor.Position> positions(String stream, long index) {
    String topic = Topics.tokens(stream).name();
    List<Cursor.Position> out = new ArrayList<>();
    for (TopicPartition tp : TokenConsumers.partitions(consumer, stream)) {
      consumer.assign(List.of(tp));
      long lo = consumer.beginningOffsets(List.of(tp)).get(tp);
      long hi = consumer.endOffsets(List.of(tp)).get(tp);
      while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        ConsumerRecord<String, byte[]> r = probe(tp, mid, hi);
        if (r == null || RankFeed.indexOf(r) >= index) {
          hi = mid;
        } else {
          lo = r.offset() + 1;
        }
      }
      out.add(new Cursor.Position(tp.topic(), tp.partition(), lo));
    }
    return out;
  }

  /** The first committed record at or after {@code offset} and before {@code end}, or null. */
  private ConsumerRecord<String, byte[]> probe(TopicPartition tp, long offset, long end) {
    consumer.seek(tp, offset);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        return r.offset() < end ? r : null;
      }
      if (consumer.position(tp) >= end) {
        return null;
      }
    }
    throw new IllegalStateException("no answer from " + tp + " at offset " + offset);
  }

  @Override
  public void close() {
    consumer.close();
  }
}
