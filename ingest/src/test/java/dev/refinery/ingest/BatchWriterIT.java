package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.refinery.infra.testing.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The HTTP endpoint's writers, each a transactional producer, on the embedded broker. */
class BatchWriterIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  @Test
  void aBatchIsWrittenWhileAnotherWaitsOnItsCommit() throws Exception {
    String topic = kafka.newTopic("it-writers");
    CountDownLatch commitMayGoOn = new CountDownLatch(1);
    CountDownLatch firstCommitting = new CountDownLatch(1);
    String id = "it-side-by-side-" + UUID.randomUUID();
    // real producers whose first commit, of either writer, waits for the test
    Function<String, Producer<String, byte[]>> producers =
        txId ->
            new KafkaProducer<>(
                settings(txId, 60_000), new StringSerializer(), new ByteArraySerializer()) {
              @Override
              public void commitTransaction() {
                if (firstCommitting.getCount() > 0) {
                  firstCommitting.countDown();
                  await(commitMayGoOn);
                }
                super.commitTransaction();
              }
            };
    try (BatchWriter writer = new BatchWriter(BatchWriter.transactionalIds(id, 2), producers)) {
      try {
        CompletableFuture<Void> first =
            CompletableFuture.runAsync(() -> writer.write(batch(topic, "first")));
        assertThat(firstCommitting.await(60, TimeUnit.SECONDS)).isTrue();
        // with one producer this waits for the first batch, which waits for the test: the timeout
        // turns that into a failure, not a hang
        assertTimeoutPreemptively(
            Duration.ofSeconds(60), () -> writer.write(batch(topic, "second")));
        // the second is committed; read_committed readers see it once the first, before it on
        // the partition, ends
        assertThat(first).isNotDone();
        commitMayGoOn.countDown();
        first.get(60, TimeUnit.SECONDS);
        assertThat(kafka.committedKeys(topic)).containsExactlyInAnyOrder("first", "second");
        assertThat(writer.started()).isEqualTo(2);
      } finally {
        // a failed assertion must not leave the first batch waiting, nor close() behind it
        commitMayGoOn.countDown();
      }
    }
  }

  @Test
  void startingAbortsWhatAKilledRunLeftOpenOnEveryWritersId() throws Exception {
    String topic = kafka.newTopic("it-writers");
    String id = "it-killed-" + UUID.randomUUID();
    // a killed run of three writers, in the middle of a transaction on its third, which the broker
    // would hold open for 15 minutes
    kafka.leaveTransactionOpen(id + "-2", topic, "after");
    // read_committed readers stop at the open transaction
    assertThat(kafka.lastStableOffset(topic)).isZero();

    Map<String, Object> settings =
        Map.of(
            "bootstrap.servers",
            kafka.bootstrapServers(),
            IngestConfig.TRANSACTIONAL_ID,
            id,
            IngestConfig.HTTP_WRITERS,
            3);
    try (BatchWriter writer = BatchWriter.create(new IngestConfig(settings), "unused")) {
      writer.start();
      // no push comes: starting the writers alone fences the killed one and aborts its
      // transaction (the open record, the one after, and the abort's marker)
      assertThat(kafka.awaitLastStableOffsetPast(topic, 0, Duration.ofSeconds(60))).isEqualTo(3);
      assertThat(kafka.committedKeys(topic)).containsExactly("after");
    }
  }

  /**
   * Two ingest processes with the same transactional ids (two replicas of one manifest, say) take
   * them from each other: each push of the one fenced fails, says why and is counted, and the next
   * starts its producer again.
   */
  @Test
  void aWriterWhoseIdAnotherProcessTookSaysSoAndIsCounted() throws Exception {
    String topic = kafka.newTopic("it-writers");
    List<String> ids = List.of("it-shared-" + UUID.randomUUID());
    Function<String, Producer<String, byte[]>> producers =
        txId ->
            new KafkaProducer<>(
                settings(txId, 60_000), new StringSerializer(), new ByteArraySerializer());
    try (BatchWriter first = new BatchWriter(ids, producers);
        BatchWriter second = new BatchWriter(ids, producers)) {
      first.write(batch(topic, "first-1"));
      // the second starts the same id: the first's producer is fenced
      second.write(batch(topic, "second-1"));

      assertThatThrownBy(() -> first.write(batch(topic, "first-2")))
          .isInstanceOf(KafkaException.class)
          .hasMessageContaining("another producer took transactional id " + ids.get(0))
          .hasMessageContaining(IngestConfig.TRANSACTIONAL_ID);
      assertThat(first.fenced()).isOne();
      assertThat(second.fenced()).isZero();
      // started again, the first fences the second in turn
      first.write(batch(topic, "first-3"));
      assertThatThrownBy(() -> second.write(batch(topic, "second-2")))
          .isInstanceOf(KafkaException.class);
      assertThat(second.fenced()).isOne();
      assertThat(kafka.committedKeys(topic))
          .containsExactlyInAnyOrder("first-1", "second-1", "first-3");
    }
  }

  @Test
  void transactionalIdsKeepTheFirstAsConfigured() {
    assertThat(BatchWriter.transactionalIds("refinery-ingest-http", 3))
        .containsExactly(
            "refinery-ingest-http", "refinery-ingest-http-1", "refinery-ingest-http-2");
  }

  private static List<Parsed> batch(String topic, String key) {
    return List.of(
        new Parsed.Encoded(key, List.of(), List.of(), new Parsed.Message(topic, key, bytes(key))));
  }

  private static Map<String, Object> settings(String transactionalId, int timeoutMs) {
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        kafka.bootstrapServers(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
        transactionalId,
        ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
        timeoutMs);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
