package dev.refinery.bridge;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicReader;
import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The takedowns in force, followed from {@code corpus.takedowns.v1} (read_committed, from its
 * beginning, then as they come; a tombstone withdraws one), so that a batch delivered after a
 * takedown was published has that takedown's spans masked, however long ago it was tokenized.
 */
final class TakedownFollower implements Takedowns.Store, AutoCloseable {
  private final Takedowns.Store view;
  private static final Logger LOG = LoggerFactory.getLogger(TakedownFollower.class);

  private final NavigableMap<String, Takedown> inForce = new ConcurrentSkipListMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private volatile boolean caughtUp;
  private volatile boolean closed;

  TakedownFollower(KafkaClients clients) {
    this.consumer =
        TopicReader.consumer(
            clients, "refinery-bridge-takedowns", Topics.CORPUS_TAKEDOWNS.maxMessageBytes());
    this.view = Takedowns.Store.of(inForce);
    this.thread = new Thread(this::run, "bridge-takedowns");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      List<TopicPartition> partitions = List.of();
      while (!closed && partitions.isEmpty()) {
        partitions =
            TopicReader.assignFromBeginning(
                consumer, Topics.CORPUS_TAKEDOWNS.name(), Duration.ofSeconds(10));
        if (partitions.isEmpty()) {
          LOG.warn("{} does not exist yet; run refinery topics", Topics.CORPUS_TAKEDOWNS.name());
          Thread.sleep(1000);
        }
      }
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (!closed) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          apply(r);
        }
        if (!caughtUp
            && end.entrySet().stream()
                .allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
          caughtUp = true;
          LOG.info("takedowns in force: {}", inForce.size());
        }
      }
    } catch (WakeupException | InterruptedException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("following the takedowns stopped: batches are delivered unmasked", e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    if (r.key() == null) {
      return;
    }
    if (r.value() == null) {
      inForce.remove(Takedowns.normalizeKey(r.key()));
      return;
    }
    try {
      Takedown t = Topics.CORPUS_TAKEDOWNS.deserialize(r.value());
      inForce.put(Takedowns.key(t), t);
    } catch (RuntimeException e) {
      LOG.warn(
          "a takedown at {}-{}@{} does not decode: {}",
          r.topic(),
          r.partition(),
          r.offset(),
          e.toString());
    }
  }

  /** Whether every takedown published before the bridge started has been read. */
  boolean caughtUp() {
    return caughtUp;
  }

  int size() {
    return inForce.size();
  }

  @Override
  public Takedown get(String key) {
    return view.get(key);
  }

  @Override
  public Iterable<Takedown> range(String from, String to) {
    return view.range(from, to);
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
