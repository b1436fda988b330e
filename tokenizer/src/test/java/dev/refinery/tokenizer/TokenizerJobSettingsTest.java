package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The settings the job and its sinks run with, which the tokenizer benchmark measured. */
class TokenizerJobSettingsTest {
  static TokenizerConfig config(Map<String, Object> more) {
    Map<String, Object> settings = new java.util.HashMap<>(more);
    settings.put("bootstrap.servers", "127.0.0.1:9092");
    return new TokenizerConfig(settings);
  }

  @Test
  void sinksBatch256KbForUpTo100MsCompressedWithLz4() {
    Properties producer = KafkaSinks.producer(config(Map.of()));

    assertThat(producer)
        .containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, "262144")
        .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "100")
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
  }

  @Test
  void aUsersProducerBatchAndLingerAreKept() {
    Properties producer =
        KafkaSinks.producer(
            config(Map.of("kafka.producer.batch.size", "65536", "kafka.producer.linger.ms", "5")));

    assertThat(producer)
        .containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, "65536")
        .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "5");
  }

  @Test
  void aUsersCompressionIsKept() {
    // LZ4 leaves token batches at 0.58 of their bytes, zstd 0.42 at more CPU: the user's call
    Properties producer =
        KafkaSinks.producer(config(Map.of("kafka.producer.compression.type", "zstd")));

    assertThat(producer).containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
  }

  @Test
  void aCompressionKafkaDoesNotKnowIsRefusedByName() {
    assertThatThrownBy(
            () -> KafkaSinks.producer(config(Map.of("kafka.producer.compression.type", "lz5"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.producer.compression.type")
        .hasMessageContaining("lz5");
  }

  @Test
  void chainedOperatorsHandOnRecordsWithoutCopies() {
    TokenizerConfig config = config(Map.of());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();

    new TokenizerJob(
            config,
            TokenizerJob.kafkaSource(config, "corpus.clean.v1", config.groupId()),
            KafkaSinks.batches(config, false),
            KafkaSinks.rejected(config))
        .addTo(env);

    assertThat(env.getConfig().isObjectReuseEnabled()).isTrue();
  }
}
