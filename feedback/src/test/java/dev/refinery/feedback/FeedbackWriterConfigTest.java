package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

/** The gateway's producers: compression and linger are a cluster operator's to change. */
class FeedbackWriterConfigTest {
  private static FeedbackConfig config(Map<String, String> more) {
    Map<String, Object> settings = new java.util.HashMap<>(more);
    settings.put(FeedbackConfig.PSEUDONYM_KEY, "0123456789abcdef");
    return new FeedbackConfig(settings);
  }

  @Test
  void aUsersCompressionAndLingerWinWhatARequestsBoundsRestOnDoesNot() {
    FeedbackConfig byDefault = config(Map.of());
    assertThat(FeedbackWriter.producerConfig(byDefault, true))
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4")
        .containsEntry(ProducerConfig.LINGER_MS_CONFIG, 1)
        .containsEntry(ProducerConfig.TRANSACTIONAL_ID_CONFIG, byDefault.transactionalId());
    assertThat(FeedbackWriter.producerConfig(byDefault, false))
        .doesNotContainKey(ProducerConfig.TRANSACTIONAL_ID_CONFIG);

    FeedbackConfig set =
        config(
            Map.of(
                "kafka.producer.compression.type", "zstd",
                "kafka.producer.linger.ms", "5",
                "kafka.producer.max.block.ms", "60000"));
    for (boolean transactional : new boolean[] {true, false}) {
      assertThat(FeedbackWriter.producerConfig(set, transactional))
          .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd")
          .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "5")
          .containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000)
          .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
          .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    }
  }
}
