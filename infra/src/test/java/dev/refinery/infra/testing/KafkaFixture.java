package dev.refinery.infra.testing;

import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.infra.TopicProvisioner;
import dev.refinery.infra.TopicSnapshot;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;

/**
 * An embedded broker for one integration test class, with the catalog's topics (and the token
 * topics of the streams asked for) provisioned.
 */
public final class KafkaFixture implements AutoCloseable {
  private final EmbeddedKafka kafka;

  private KafkaFixture(EmbeddedKafka kafka) {
    this.kafka = kafka;
  }

  public static KafkaFixture start(String... streams) {
    try {
      Path dir = Files.createTempDirectory("kafka-");
      EmbeddedKafka kafka = EmbeddedKafka.startEphemeral(dir);
      List<TopicBinding<?, ?>> topics = new ArrayList<>(Topics.fixed());
      for (String stream : streams) {
        topics.add(Topics.tokens(stream));
      }
      try (Admin admin = kafka.admin()) {
        new TopicProvisioner(admin).provision(topics);
      }
      return new KafkaFixture(kafka);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  /** Every committed value of the topic now. */
  public <V> List<V> values(TopicBinding<String, V> topic) {
    return TopicSnapshot.read(bootstrapServers(), topic, Duration.ofSeconds(30)).stream()
        .map(TopicSnapshot.Entry::value)
        .toList();
  }

  /** Waits until the committed values of the topic satisfy {@code done}, and returns them. */
  public <V> List<V> await(
      TopicBinding<String, V> topic, Predicate<List<V>> done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<V> values = values(topic);
      if (done.test(values)) {
        return values;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "gave up waiting on "
                + topic.name()
                + " after "
                + timeout
                + "; it holds "
                + values.size()
                + " records");
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  @Override
  public void close() {
    kafka.close();
  }
}
