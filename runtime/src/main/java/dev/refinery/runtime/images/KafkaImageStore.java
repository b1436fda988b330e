package dev.refinery.runtime.images;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicFollower;
import dev.refinery.runtime.kafka.TopicReader;
import dev.refinery.schemas.Image;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Images on the compacted topic {@code corpus.images.v1}. A follower reads the topic once, from its
 * beginning, and keeps where each image is (partition and offset, about 100 bytes an image, not the
 * bytes); a read seeks there and fetches the one record, on one of a few readers, so that several
 * images are fetched at once. Recently read images are kept in memory up to a bound, so the images
 * of one batch, or of batches that share them, are fetched once; an image being fetched is waited
 * for, not fetched twice.
 */
public final class KafkaImageStore implements ImageStore {
  /** Readers, and threads fetching ahead: images fetched at once. */
  static final int READERS = 4;

  private record Location(int partition, long offset) {}

  private final Map<String, Location> index = new ConcurrentHashMap<>();
  private final TopicFollower follower;
  private final BlockingQueue<KafkaConsumer<String, byte[]>> readers =
      new ArrayBlockingQueue<>(READERS);
  private final List<KafkaConsumer<String, byte[]>> all = new ArrayList<>();
  private final long cacheBytes;
  private final Map<String, Image> cache = new LinkedHashMap<>(256, 0.75f, true);
  private final Map<String, CompletableFuture<Image>> fetching = new ConcurrentHashMap<>();
  private final ExecutorService ahead =
      Executors.newFixedThreadPool(
          READERS,
          r -> {
            Thread t = new Thread(r, "image-store-fetch");
            t.setDaemon(true);
            return t;
          });
  private long cached;

  /**
   * @param cacheBytes image bytes kept in memory at most
   */
  public KafkaImageStore(KafkaClients clients, String clientId, long cacheBytes) {
    this.cacheBytes = cacheBytes;
    for (int i = 0; i < READERS; i++) {
      // one record at a time, answered at once: a fetch is a seek to a record that is there
      KafkaConsumer<String, byte[]> reader =
          TopicReader.consumer(
              clients,
              clientId + "-images-read-" + i,
              Topics.LARGE_MESSAGE_BYTES,
              Map.of(
                  ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10,
                  ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1));
      all.add(reader);
      readers.add(reader);
    }
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
    Image hit = cached(sha256);
    if (hit != null) {
      return hit;
    }
    CompletableFuture<Image> mine = new CompletableFuture<>();
    CompletableFuture<Image> running = fetching.putIfAbsent(sha256, mine);
    if (running != null) {
      // fetched ahead, or by another rank: wait for that one
      try {
        return running.get(wait.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        return null;
      }
    }
    try {
      Image image = load(sha256, System.nanoTime() + wait.toNanos());
      mine.complete(image);
      return image;
    } catch (RuntimeException | InterruptedException e) {
      mine.complete(null);
      throw e;
    } finally {
      fetching.remove(sha256, mine);
    }
  }

  @Override
  public void prefetch(Collection<String> sha256s) {
    for (String sha : sha256s) {
      if (cached(sha) == null && !fetching.containsKey(sha)) {
        ahead.execute(
            () -> {
              try {
                get(sha, Duration.ofSeconds(30));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
      }
    }
  }

  private synchronized Image cached(String sha256) {
    return cache.get(sha256);
  }

  /** Finds the image in the index (waiting for it up to the deadline), reads it and caches it. */
  private Image load(String sha256, long deadline) throws InterruptedException {
    Location at = index.get(sha256);
    while (at == null && System.nanoTime() < deadline) {
      Thread.sleep(10);
      at = index.get(sha256);
    }
    if (at == null) {
      return null;
    }
    KafkaConsumer<String, byte[]> reader = readers.take();
    Image image;
    try {
      image = fetch(reader, sha256, at, deadline);
    } finally {
      readers.add(reader);
    }
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
  private static Image fetch(
      KafkaConsumer<String, byte[]> reader, String sha256, Location at, long deadline) {
    TopicPartition tp = new TopicPartition(Topics.CORPUS_IMAGES.name(), at.partition());
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
    return null;
  }

  @Override
  public void close() {
    ahead.shutdownNow();
    follower.close();
    for (KafkaConsumer<String, byte[]> reader : all) {
      // a reader a fetch still holds is woken and closed by the thread that holds it
      reader.wakeup();
    }
    for (KafkaConsumer<String, byte[]> reader : all) {
      try {
        reader.close(Duration.ofSeconds(5));
      } catch (RuntimeException closing) {
        // in use by a fetch that is ending: it goes with the process
      }
    }
  }
}
