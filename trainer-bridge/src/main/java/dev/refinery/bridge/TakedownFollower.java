package dev.refinery.bridge;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicFollower;
import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.Topics;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The takedowns in force, followed from {@code corpus.takedowns.v1} (read_committed, from its
 * beginning, then as they come; a tombstone withdraws one), so that a batch delivered after a
 * takedown was published has that takedown's spans masked, however long ago it was tokenized.
 */
final class TakedownFollower implements Takedowns.Store, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TakedownFollower.class);

  private final NavigableMap<String, Takedown> inForce = new ConcurrentSkipListMap<>();
  private final Takedowns.Store view = Takedowns.Store.of(inForce);
  private final TopicFollower follower;

  TakedownFollower(KafkaClients clients) {
    this.follower =
        new TopicFollower(
            clients,
            Topics.CORPUS_TAKEDOWNS.name(),
            "refinery-bridge-takedowns",
            Topics.CORPUS_TAKEDOWNS.maxMessageBytes(),
            this::apply,
            "following the takedowns stopped: batches are delivered unmasked");
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
    return follower.caughtUp();
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
    follower.close();
  }
}
