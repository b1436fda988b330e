package dev.refinery.runtime.images;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicFollower;
import dev.refinery.schemas.Image;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Images on the compacted topic {@code corpus.images.v1}. A follower reads the topic once, from its
 * beginning, and keeps where each image is (partition and offset, about 100 bytes an image, not the
 * bytes); a read seeks there and fetches the one record. Recently read images are kept in memory up
 * to a bound, so the images of one batch, or of batches that share them, are fetched once.
 */
public final class KafkaImageStore implements ImageStore {
  private record Location(int partition, long offset) {}

  private final Map<String, Location> index = new ConcurrentHashMap<>();
  private final TopicFollower follower;
  private final KafkaConsumer<String, byte[]> reader;
  private final long cacheBytes;
  private final Map<String, Image> cache = new LinkedHashMap<>(256, 0.75f, true);
  private long cached;

  /**
   * @param cacheBytes image bytes kept in memory at most
   */
  public KafkaImageStore(KafkaClients clients, String clientId, long cacheBytes) {
    this.cacheBytes = cacheBytes;
    // one record at a time, answered at once: a fetch is a seek to a record that is there
    this.reader =
        new KafkaConsumer<>(
            clients.consumer(
                Map.of(
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                    "read_committed",
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                    false,
                    ConsumerConfig.CLIENT_ID_CONFIG,
                    clientId + "-images-read",
                    ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                    Topics.LARGE_MESSAGE_BYTES,
                    ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                    10,
                    ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                    1)),
            new org.apache.kafka.common.serialization.StringDeserializer(),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer());
    this.follower =
        new TopicFollower(
            clients,
            Topics.CORPUS_IMAGES.name(),
            clientId + "-images-index",
            Topics.LARGE_MESSAGE_BYTES,
            this::indexed,
            "the image index stopped following");
  }

  private void indexed(ConsumerRecord<String, byte[]> record) {
    if (record.key() != null && record.value() != null) {
      index.put(record.key(), new Location(record.partition(), record.offset()));
    } else if (record.key() != null) {
      index.remove(record.key());
    }
  }

  /** Whether every image stored when the store started is indexed. */
  public boolean caughtUp() {
    return follower.caughtUp();
  }

  /** Images indexed. */
  public int size() {
    return index.size();
  }

  @Override
  public Image get(String sha256, Duration wait) throws InterruptedException {
    synchronized (this) {
      Image hit = cache.get(sha256);
      if (hit != null) {
        return hit;
      }
    }
    long deadline = System.nanoTime() + wait.toNanos();
    Location at = index.get(sha256);
    while (at == null && System.nanoTime() < deadline) {
      Thread.sleep(10);
      at = index.get(sha256);
    }
    if (at == null) {
      return null;
    }
    Image image = fetch(sha256, at, deadline);
    if (image != null) {
      synchronized (this) {
        if (cache.put(sha256, image) == null) {
          cached += image.getData().remaining();
        }
        var eldest = cache.entrySet().iterator();
        while (cached > cacheBytes && cache.size() > 1 && eldest.hasNext()) {
          cached -= eldest.next().getValue().getData().remaining();
          eldest.remove();
        }
      }
    }
    return image;
  }

  /** Reads the record at the location; null if it is not there before the deadline. */
  private Image fetch(String sha256, Location at, long deadline) {
    TopicPartition tp = new TopicPartition(Topics.CORPUS_IMAGES.name(), at.partition());
    synchronized (reader) {
      reader.assign(List.of(tp));
      reader.seek(tp, at.offset());
      do {
        for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(100))) {
          if (r.offset() >= at.offset() && sha256.equals(r.key()) && r.value() != null) {
            return Topics.CORPUS_IMAGES.deserialize(r.value());
          }
          if (r.offset() > at.offset()) {
            return null;
          }
        }
      } while (System.nanoTime() < deadline);
    }
    return null;
  }

  @Override
  public void close() {
    follower.close();
    synchronized (reader) {
      reader.close(Duration.ofSeconds(5));
    }
  }
}
