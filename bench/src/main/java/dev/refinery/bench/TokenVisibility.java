package dev.refinery.bench;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicReader;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * When each document's tokens became readable by a trainer: a read_committed consumer follows a
 * token topic from its end and notes, for every document a batch spans, the moment the batch first
 * came to it. A batch's {@code created_at} is when the tokenizer wrote it; a trainer sees it only
 * once the tokenizer's checkpoint commits its transaction, up to a checkpoint interval later. The
 * time noted is at most one poll (a fetch waits at most 50 ms at the broker) after the commit.
 */
final class TokenVisibility implements AutoCloseable {
  private final Map<String, Long> seenAt = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean stop;
  private volatile RuntimeException failure;

  private TokenVisibility(
      KafkaConsumer<String, byte[]> consumer, TopicBinding<?, TokenBatch> topic) {
    this.thread =
        new Thread(
            () -> {
              try (consumer) {
                while (!stop) {
                  for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                    long now = System.currentTimeMillis();
                    TokenBatch b = topic.deserialize(r.value());
                    for (DocumentSpan s : b.getSpans()) {
                      seenAt.merge(s.getDocId(), now, Math::max);
                    }
                  }
                }
              } catch (RuntimeException e) {
                failure = e;
              }
            },
            "bench-token-visibility");
    thread.setDaemon(true);
  }

  /** Follows the topic from where it ends now. */
  static TokenVisibility follow(KafkaClients clients, TopicBinding<?, TokenBatch> topic) {
    KafkaConsumer<String, byte[]> consumer =
        TopicReader.consumer(
            clients,
            "bench-token-visibility",
            Topics.LARGE_MESSAGE_BYTES,
            Map.of(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50));
    List<TopicPartition> partitions = new ArrayList<>();
    consumer
        .partitionsFor(topic.name(), Duration.ofSeconds(30))
        .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    // the position is taken now, not at the first poll: batches written meanwhile are followed
    partitions.forEach(p -> consumer.position(p, Duration.ofSeconds(30)));
    TokenVisibility visibility = new TokenVisibility(consumer, topic);
    visibility.thread.start();
    return visibility;
  }

  /**
   * When the last batch that spans the document came to a trainer's consumer (epoch ms), or null if
   * none came yet.
   */
  Long seenAt(String docId) {
    return seenAt.get(docId);
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    thread.join(10_000);
    if (failure != null) {
      throw new IllegalStateException("following the token topic failed", failure);
    }
  }
}
