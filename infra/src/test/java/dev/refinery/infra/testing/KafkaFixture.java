package dev.refinery.infra.testing;

import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.infra.TopicProvisioner;
import dev.refinery.runtime.kafka.TopicSnapshot;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An embedded broker for one integration test class, with the catalog's topics (and the token
 * topics of the streams asked for) provisioned before the first test and the broker stopped after
 * the last:
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams("web");
 * }</pre>
 */
public final class KafkaFixture implements BeforeAllCallback, AfterAllCallback {
  private final String[] streams;
  private EmbeddedKafka kafka;

  private KafkaFixture(String[] streams) {
    this.streams = streams;
  }

  /** A fixture that also provisions {@code tokens.<stream>.v1} for each stream. */
  public static KafkaFixture withStreams(String... streams) {
    return new KafkaFixture(streams);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    kafka = EmbeddedKafka.startEphemeral(Files.createTempDirectory("kafka-"));
    List<TopicBinding<?, ?>> topics = new ArrayList<>(Topics.fixed());
    for (String stream : streams) {
      topics.add(Topics.tokens(stream));
    }
    try (Admin admin = kafka.admin()) {
      new TopicProvisioner(admin).provision(topics);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (kafka != null) {
      kafka.close();
    }
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  /** A plain producer of string keys and byte values to the broker (close it). */
  public KafkaProducer<String, byte[]> producer() {
    return new KafkaProducer<>(
        java.util.Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()),
        new StringSerializer(),
        new ByteArraySerializer());
  }

  /** A new topic of one partition, named {@code <prefix>-<random>}. */
  public String newTopic(String prefix) {
    String name = prefix + "-" + java.util.UUID.randomUUID();
    try (Admin admin = kafka.admin()) {
      admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot create " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return name;
  }

  /**
   * Leaves a transaction open on partition 0 of {@code topic} as a run killed in the middle of one
   * does, then writes a record keyed {@code keyAfter} behind it without a transaction, which
   * read_committed readers see only once the transaction ends. The open transaction is one record
   * sent under {@code transactionalId}, the producer then closed at once, which neither commits nor
   * aborts: the broker holds it open for 15 minutes (its transaction.max.timeout.ms) unless the
   * same id is started again.
   */
  public void leaveTransactionOpen(String transactionalId, String topic, String keyAfter) {
    KafkaProducer<String, byte[]> killed =
        new KafkaProducer<>(
            java.util.Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                transactionalId,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                (int) Duration.ofMinutes(15).toMillis()),
            new StringSerializer(),
            new ByteArraySerializer());
    try {
      killed.initTransactions();
      killed.beginTransaction();
      killed.send(new ProducerRecord<>(topic, 0, "open", new byte[0])).get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot write to " + topic, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      // at once: a graceful close would abort the transaction
      killed.close(Duration.ZERO);
    }
    try (KafkaProducer<String, byte[]> plain = producer()) {
      plain.send(new ProducerRecord<>(topic, 0, keyAfter, new byte[0])).get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot write to " + topic, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Where read_committed readers of partition 0 of {@code topic} stop now. */
  public long lastStableOffset(String topic) {
    try (KafkaConsumer<String, byte[]> consumer = committedReader()) {
      TopicPartition p = new TopicPartition(topic, 0);
      return consumer.endOffsets(List.of(p)).get(p);
    }
  }

  /** The keys of partition 0 of {@code topic} that read_committed readers see now, in order. */
  public List<String> committedKeys(String topic) {
    try (KafkaConsumer<String, byte[]> consumer = committedReader()) {
      TopicPartition p = new TopicPartition(topic, 0);
      long end = consumer.endOffsets(List.of(p)).get(p);
      consumer.assign(List.of(p));
      consumer.seekToBeginning(List.of(p));
      List<String> keys = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.position(p) < end && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> keys.add(r.key()));
      }
      return keys;
    }
  }

  private KafkaConsumer<String, byte[]> committedReader() {
    return new KafkaConsumer<>(
        java.util.Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers(),
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed"),
        new StringDeserializer(),
        new ByteArrayDeserializer());
  }

  /**
   * Waits, up to {@code timeout}, until read_committed readers of partition 0 of {@code topic} are
   * let past {@code offset}; returns where they stop then.
   */
  public long awaitLastStableOffsetPast(String topic, long offset, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long lso = lastStableOffset(topic);
    while (lso <= offset && System.nanoTime() < deadline) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      lso = lastStableOffset(topic);
    }
    return lso;
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
}
