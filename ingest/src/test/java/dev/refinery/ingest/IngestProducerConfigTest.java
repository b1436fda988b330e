package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/**
 * The transaction timeout of ingest's producer is a setting, bounded by what brokers accept; its
 * compression and batching are a cluster operator's to change, its guarantees are not.
 */
class IngestProducerConfigTest {
  @Test
  void aUsersCompressionAndBatchingWinWhatExactlyOnceRestsOnDoesNot() {
    Map<String, Object> byDefault = Ingestor.producerConfig(new IngestConfig(Map.of()), "t");
    assertThat(byDefault)
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4")
        .containsEntry(ProducerConfig.LINGER_MS_CONFIG, 10)
        .containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024)
        .containsEntry(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);

    Map<String, Object> set =
        Ingestor.producerConfig(
            new IngestConfig(
                Map.of(
                    "kafka.producer.compression.type", "zstd",
                    "kafka.producer.linger.ms", "50",
                    "kafka.producer.batch.size", "65536",
                    "kafka.producer.buffer.memory", "33554432",
                    "kafka.producer.acks", "1")),
            "t");
    assertThat(set)
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd")
        .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "50")
        .containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, "65536")
        .containsEntry(ProducerConfig.BUFFER_MEMORY_CONFIG, "33554432")
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
        .containsEntry(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "t");
  }

  @Test
  void aBufferTooSmallForTheLargestDocumentIsRefusedByName() {
    IngestConfig small = new IngestConfig(Map.of("kafka.producer.buffer.memory", "1048576"));

    assertThatThrownBy(() -> Ingestor.producerConfig(small, "t"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.producer.buffer.memory")
        .hasMessageContaining("1048576");
  }

  @Test
  void theTransactionTimeoutIsASettingWithinTheBrokersBound() {
    Map<String, Object> byDefault =
        Ingestor.producerConfig(new IngestConfig(Map.of()), "refinery-ingest-t");
    assertThat(byDefault).containsEntry(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 300_000);
    Map<String, Object> set =
        Ingestor.producerConfig(
            new IngestConfig(Map.of(IngestConfig.TRANSACTION_TIMEOUT_MS, "60000")),
            "refinery-ingest-t");
    assertThat(set).containsEntry(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
    assertThatThrownBy(
            () -> new IngestConfig(Map.of(IngestConfig.TRANSACTION_TIMEOUT_MS, "3600000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(IngestConfig.TRANSACTION_TIMEOUT_MS);
  }

  @Test
  void theHttpWritersShareOneBufferUnlessEachIsGivenItsOwn() {
    assertThat(new IngestConfig(Map.of()).httpWriters()).isEqualTo(8);
    assertThat(BatchWriter.bufferMemory(1)).isEqualTo(128L * 1024 * 1024);
    assertThat(BatchWriter.bufferMemory(8)).isEqualTo(16L * 1024 * 1024);
    // twice the largest record, however many
    assertThat(BatchWriter.bufferMemory(64)).isEqualTo(16L * 1024 * 1024);
    assertThat(
            Ingestor.producerConfig(new IngestConfig(Map.of()), "t", BatchWriter.bufferMemory(8)))
        .containsEntry(ProducerConfig.BUFFER_MEMORY_CONFIG, 16L * 1024 * 1024);
    assertThat(
            Ingestor.producerConfig(
                new IngestConfig(Map.of("kafka.producer.buffer.memory", "67108864")),
                "t",
                BatchWriter.bufferMemory(8)))
        .containsEntry(ProducerConfig.BUFFER_MEMORY_CONFIG, "67108864");
  }

  @Test
  void writersOutOfRangeOrNotANumberAreRefusedByName() {
    for (String bad : new String[] {"0", "65", "-1", "many", ""}) {
      assertThatThrownBy(() -> new IngestConfig(Map.of(IngestConfig.HTTP_WRITERS, bad)))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(IngestConfig.HTTP_WRITERS);
    }
  }
}
