package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The gateway's writer on the embedded broker. */
class FeedbackWriterIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  @Test
  void startingAbortsWhatAKilledGatewayLeftOpen() throws Exception {
    String topic = kafka.newTopic("it-feedback-writer");
    String id = "it-feedback-" + UUID.randomUUID();
    kafka.leaveTransactionOpen(id, topic, "after");
    // read_committed readers (the joiner) stop at the open transaction
    assertThat(kafka.lastStableOffset(topic)).isZero();

    FeedbackConfig config =
        new FeedbackConfig(
            Map.of(
                "bootstrap.servers",
                kafka.bootstrapServers(),
                FeedbackConfig.PSEUDONYM_KEY,
                "0123456789abcdef",
                FeedbackConfig.TRANSACTIONAL_ID,
                id));
    try (FeedbackWriter writer =
        FeedbackWriter.create(config, new FeedbackMetrics(new SimpleMeterRegistry()))) {
      // no request comes: the writer's start alone fences the killed one and aborts its
      // transaction (the open record, the one after, and the abort's marker)
      assertThat(kafka.awaitLastStableOffsetPast(topic, 0, Duration.ofSeconds(60))).isEqualTo(3);
    }
  }
}
