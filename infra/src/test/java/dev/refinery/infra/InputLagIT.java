package dev.refinery.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.runtime.streams.InputLag;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A stage's view of its input, on the embedded broker. */
class InputLagIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  /**
   * A writer killed in the middle of a transaction holds the stage's read_committed readers at its
   * first record, with nothing they can read: the stage names the partition and the transaction's
   * transactional id, where its own metrics showed an idle stage.
   */
  @Test
  void aPartitionHeldByATransactionLeftOpenNamesItsTransactionalId() throws Exception {
    String topic = kafka.newTopic("it-held");
    String id = "it-killed-ingest-" + UUID.randomUUID();
    kafka.leaveTransactionOpen(id, topic, "behind");
    Properties config = new Properties();
    config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, "it-held");
    try (InputLag lag =
        new InputLag(
            config,
            "it-held",
            Set.of(topic),
            Duration.ofMillis(200),
            "lag",
            Duration.ofSeconds(1))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      List<String> held = lag.held();
      while (held.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(100);
        held = lag.held();
      }
      assertThat(held)
          .singleElement()
          .asString()
          .contains(topic + "-0 waits at offset 0", "(transactional id " + id + ")");
      assertThat(lag.get()).as("nothing a reader may read").isZero();
    }
  }
}
