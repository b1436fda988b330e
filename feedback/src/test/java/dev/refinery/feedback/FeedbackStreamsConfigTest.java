package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.runtime.streams.RocksDbBudget;
import dev.refinery.schemas.Sample;
import dev.refinery.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The joiner's Streams settings: its RocksDB memory budget. */
class FeedbackStreamsConfigTest {
  @TempDir Path state;

  private FeedbackConfig config(Map<String, Object> more) {
    Map<String, Object> settings = new HashMap<>(more);
    settings.put(FeedbackConfig.STATE_DIR, state.toString());
    settings.put(FeedbackConfig.PSEUDONYM_KEY, "0123456789abcdef");
    return new FeedbackConfig(settings);
  }

  @Test
  void withABudgetTheJoinersStoresTakeTheirMemoryFromIt() {
    long budget = 40L << 20;
    Properties props =
        FeedbackService.streamsConfig(config(Map.of(FeedbackConfig.ROCKSDB_MEMORY_BYTES, budget)));
    assertThat(props.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
        .isEqualTo(RocksDbBudget.Setter.class);
    // the stores opened by Kafka Streams, RocksDB and all: a written memtable is charged
    try (TopologyTestDriver driver =
        new TopologyTestDriver(
            FeedbackTopology.build(
                RubricTable.DEFAULT, new FeedbackMetrics(new SimpleMeterRegistry())),
            props)) {
      Sample s = Fixtures.sample("s1", "p1", "a", "b");
      driver
          .createInputTopic(
              Topics.FEEDBACK_SAMPLES.name(), new StringSerializer(), new ByteArraySerializer())
          .pipeInput(s.getSampleId(), Topics.FEEDBACK_SAMPLES.serialize(s), Instant.EPOCH);
      assertThat(RocksDbBudget.of(budget).cache().getUsage()).isPositive();
    }
  }

  @Test
  void withoutABudgetKafkaStreamsSettingsStay() {
    Properties props = FeedbackService.streamsConfig(config(Map.of()));
    assertThat(props.get(RocksDbBudget.MEMORY_BYTES)).isEqualTo(0L);
    assertThat(props).doesNotContainKey(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG);
  }

  @Test
  void aBudgetThatIsNoSizeIsRefusedNamingTheSetting() {
    for (String bad : List.of("-1", "lots", "")) {
      assertThatThrownBy(() -> config(Map.of(FeedbackConfig.ROCKSDB_MEMORY_BYTES, bad)))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(FeedbackConfig.ROCKSDB_MEMORY_BYTES);
    }
  }
}
