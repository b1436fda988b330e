package dev.refinery.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.runtime.streams.InputLag;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link InputLag} against a real broker: the lag of a group on each of its input topics, so that a
 * stage can ask whether some of them are read (dedup-filter's held answers wait on the topics its
 * keys come through, not on the one its answers go to).
 */
class InputLagIT {
  private static final String GROUP = "input-lag-it";

  @TempDir Path dir;

  @Test
  void tellsWhichTopicsTheGroupHasReadAndCountsTheRecordsWaitingOnTheOthers() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral(dir);
        Admin admin = kafka.admin()) {
      admin
          .createTopics(
              List.of(new NewTopic("keys", 2, (short) 1), new NewTopic("answers", 1, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
      // three records a partition in one transaction each: the marker takes an offset of its own
      writeInATransaction(kafka.bootstrapServers(), "keys", 0, 3);
      writeInATransaction(kafka.bootstrapServers(), "keys", 1, 3);
      writeInATransaction(kafka.bootstrapServers(), "answers", 0, 3);
      // the group has read keys to the end, and answers not at all
      admin
          .alterConsumerGroupOffsets(
              GROUP,
              Map.of(
                  new TopicPartition("keys", 0), new OffsetAndMetadata(4),
                  new TopicPartition("keys", 1), new OffsetAndMetadata(4),
                  new TopicPartition("answers", 0), new OffsetAndMetadata(0)))
          .all()
          .get(30, TimeUnit.SECONDS);

      Properties config = new Properties();
      config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      config.put(StreamsConfig.APPLICATION_ID_CONFIG, GROUP);
      try (InputLag lag =
          new InputLag(config, GROUP, Set.of("keys", "answers"), Duration.ofMillis(50), "test")) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (lag.get() < 0 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }

        assertThat(lag.get()).isEqualTo(3);
        assertThat(lag.caughtUp(Set.of("keys"))).isTrue();
        assertThat(lag.caughtUp(Set.of("keys", "answers"))).isFalse();
        // a topic it was not asked about is not known to be read
        assertThat(lag.caughtUp(Set.of("keys", "elsewhere"))).isFalse();
      }
    }
  }

  private static void writeInATransaction(
      String bootstrap, String topic, int partition, int records) {
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "input-lag-it-" + topic + "-" + partition),
            new StringSerializer(),
            new StringSerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < records; i++) {
        producer.send(new ProducerRecord<>(topic, partition, "k" + i, "v" + i));
      }
      producer.commitTransaction();
    }
  }
}
