package dev.refinery.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {
  private static final Map<String, String> SECURED =
      Map.of(
          "kafka.security.protocol", "SASL_SSL",
          "kafka.sasl.mechanism", "SCRAM-SHA-512",
          "kafka.sasl.jaas.config",
              "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";",
          "kafka.producer.linger.ms", "25",
          "kafka.consumer.fetch.max.wait.ms", "100",
          "kafka.streams.num.standby.replicas", "1",
          "kafka.streams.consumer.session.timeout.ms", "12000",
          "ingest.commit.records", "10");

  @Test
  void everyClientGetsTheCommonSettingsAndItsOwn() {
    KafkaClients clients = KafkaClients.from("kafka:9093", SECURED);
    Map<String, Object> producer = clients.producer(Map.of("acks", "all"));
    assertThat(producer)
        .containsEntry("bootstrap.servers", "kafka:9093")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("linger.ms", "25")
        .containsEntry("acks", "all")
        .doesNotContainKey("fetch.max.wait.ms");
    assertThat(clients.consumer(Map.of()))
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("fetch.max.wait.ms", "100")
        .doesNotContainKey("linger.ms");
    assertThat(clients.admin(Map.of())).containsEntry("security.protocol", "SASL_SSL");
    Properties tuning = new Properties();
    tuning.put("num.standby.replicas", 0);
    tuning.put("commit.interval.ms", 100);
    Properties streams = clients.streams(tuning, new Properties());
    assertThat(streams)
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("num.standby.replicas", "1")
        .containsEntry("commit.interval.ms", 100)
        .containsEntry("consumer.session.timeout.ms", "12000")
        .containsEntry("bootstrap.servers", "kafka:9093");
    assertThat(clients.flink(KafkaClients.Role.PRODUCER)).containsEntry("linger.ms", "25");
    assertThat(clients.toString()).doesNotContain("password").contains("(hidden)");
  }

  @Test
  void aStagesProducerTuningGivesWayToPassThroughSettingsWhatItOwnsDoesNot() {
    KafkaClients clients =
        KafkaClients.from(
            "k:1",
            Map.of(
                "kafka.compression.type", "zstd",
                "kafka.producer.linger.ms", "25",
                "kafka.producer.acks", "1"));
    Map<String, Object> producer =
        clients.producer(
            Map.of("compression.type", "lz4", "linger.ms", 10, "batch.size", 1024),
            Map.of("acks", "all"));
    assertThat(producer)
        .containsEntry("compression.type", "zstd")
        .containsEntry("linger.ms", "25")
        .containsEntry("batch.size", 1024)
        .containsEntry("acks", "all")
        .containsEntry("bootstrap.servers", "k:1");
  }

  @Test
  void theStagesOwnSettingsWinOverPassThroughTuning() {
    KafkaClients clients = KafkaClients.from("k:1", Map.of("kafka.producer.linger.ms", "25"));
    assertThat(clients.producer(Map.of("linger.ms", 5))).containsEntry("linger.ms", 5);
  }

  @Test
  void aMisspeltOrUnknownSettingIsAnErrorNamingIt() {
    assertThatThrownBy(() -> KafkaClients.from("k:1", Map.of("kafka.security.protocoll", "SSL")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.security.protocoll")
        .hasMessageContaining("not a Kafka client");
    assertThatThrownBy(
            () -> KafkaClients.from("k:1", Map.of("kafka.producer.fetch.min.bytes", "1")))
        .hasMessageContaining("kafka.producer.fetch.min.bytes")
        .hasMessageContaining("not a Kafka producer");
    assertThatThrownBy(() -> KafkaClients.from("k:1", Map.of("kafka.streams.nonsense", "1")))
        .hasMessageContaining("kafka.streams.nonsense");
  }

  @Test
  void aBadValueIsAnErrorNamingTheSetting() {
    assertThatThrownBy(() -> KafkaClients.from("k:1", Map.of("kafka.security.protocol", "TLS")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.security.protocol")
        .hasMessageContaining("TLS");
    assertThatThrownBy(() -> KafkaClients.from("k:1", Map.of("kafka.producer.linger.ms", "soon")))
        .hasMessageContaining("kafka.producer.linger.ms");
    // a password's value is never echoed
    assertThatThrownBy(
            () -> KafkaClients.from("k:1", Map.of("kafka.streams.producer.linger.ms", "-")))
        .hasMessageContaining("kafka.streams.producer.linger.ms");
  }

  @Test
  void settingsTheStagesOwnCannotBeChanged() {
    for (String key :
        new String[] {
          "kafka.bootstrap.servers",
          "kafka.producer.enable.idempotence",
          "kafka.consumer.isolation.level",
          "kafka.producer.transactional.id",
          "kafka.streams.processing.guarantee"
        }) {
      assertThatThrownBy(() -> KafkaClients.from("k:1", Map.of(key, "x")))
          .as(key)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(key);
    }
  }

  @Test
  void environmentVariablesNameClientSettingsToo() {
    Map<String, String> values =
        RefineryConfig.sources(
            new org.apache.kafka.common.config.ConfigDef(),
            null,
            Map.of(
                "REFINERY_KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/t.p12",
                "REFINERY_INGEST_TOKEN_PUSH_BOT", "documents:0123456789abcdef"),
            Map.of());
    assertThat(values)
        .containsEntry("kafka.ssl.truststore.location", "/etc/t.p12")
        .containsEntry("ingest.token.push-bot", "documents:0123456789abcdef");
  }
}
