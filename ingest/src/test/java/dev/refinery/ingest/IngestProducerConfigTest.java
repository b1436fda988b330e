package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The transaction timeout of ingest's producer is a setting, bounded by what brokers accept. */
class IngestProducerConfigTest {
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
}
