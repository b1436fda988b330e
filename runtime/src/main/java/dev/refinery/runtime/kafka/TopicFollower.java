package dev.refinery.runtime.kafka;

import dev.refinery.runtime.config.KafkaClients;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a topic from its beginning and follows it (read_committed, no consumer group) on a thread
 * of its own, handing each record to a callback: the shape of an in-memory view of a topic (the
 * gateway's samples, the bridge's takedowns). {@link #caughtUp()} turns true once every record that
 * was there when reading began has been handed over. A topic that does not exist yet is waited for.
 */
public final class TopicFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);

  private final String topic;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Consumer<ConsumerRecord<String, byte[]>> each;
  private final Thread thread;
  private volatile boolean caughtUp;
  private volatile boolean closed;

  /**
   * Starts following.
   *
   * @param failed what to say if reading stops on an error (the view is then no longer followed)
   */
  public TopicFollower(
      KafkaClients clients,
      String topic,
      String clientId,
      int maxMessageBytes,
      Consumer<ConsumerRecord<String, byte[]>> each,
      String failed) {
    this.topic = topic;
    this.each = each;
    this.consumer = TopicReader.consumer(clients, clientId, maxMessageBytes);
    this.thread =
        new Thread(
            () -> {
              try {
                run();
              } catch (RuntimeException e) {
                if (!closed) {
                  LOG.error("{} ({})", failed, topic, e);
                }
              } finally {
                consumer.close(Duration.ofSeconds(5));
              }
            },
            clientId);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      List<TopicPartition> partitions = List.of();
      while (!closed && partitions.isEmpty()) {
        partitions = TopicReader.assignFromBeginning(consumer, topic, Duration.ofSeconds(10));
        if (partitions.isEmpty()) {
          LOG.warn("{} does not exist yet; run refinery topics", topic);
          Thread.sleep(1000);
        }
      }
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (!closed) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          each.accept(r);
        }
        if (!caughtUp
            && end.entrySet().stream()
                .allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
          caughtUp = true;
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether every record that was on the topic when reading began has been handed over. */
  public boolean caughtUp() {
    return caughtUp;
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
