package dev.refinery.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RefineryConfigTest {
  static final ConfigDef DEFINITION =
      RefineryConfig.withRejectedMaxBytes(
              RefineryConfig.withBootstrapServers(new ConfigDef()), "probe.")
          .define(
              "probe.size",
              ConfigDef.Type.INT,
              1,
              ConfigDef.Range.atLeast(1),
              ConfigDef.Importance.LOW,
              "a size")
          .define(
              "probe.streams", ConfigDef.Type.LIST, "main", ConfigDef.Importance.LOW, "streams");

  static final class ProbeConfig extends RefineryConfig {
    ProbeConfig(Map<String, ?> values) {
      super(DEFINITION, values, "probe.");
      requireStreamNames("probe.streams");
    }
  }

  @TempDir Path dir;

  @Test
  void fileThenEnvironmentThenFlagsWin() throws IOException {
    Path file = dir.resolve("r.properties");
    Files.writeString(file, "probe.size=2\nbootstrap.servers=file:9092\nother.module.key=x\n");

    ProbeConfig fromFile =
        new ProbeConfig(RefineryConfig.sources(DEFINITION, file, Map.of(), Map.of()));
    ProbeConfig fromEnv =
        new ProbeConfig(
            RefineryConfig.sources(DEFINITION, file, Map.of("REFINERY_PROBE_SIZE", "3"), Map.of()));
    ProbeConfig fromFlag =
        new ProbeConfig(
            RefineryConfig.sources(
                DEFINITION, file, Map.of("REFINERY_PROBE_SIZE", "3"), Map.of("probe.size", "4")));

    assertThat(fromFile.getInt("probe.size")).isEqualTo(2);
    assertThat(fromFile.bootstrapServers()).isEqualTo("file:9092");
    assertThat(fromEnv.getInt("probe.size")).isEqualTo(3);
    assertThat(fromFlag.getInt("probe.size")).isEqualTo(4);
    assertThat(fromFlag.rejectedMaxBytes()).isEqualTo(64 * 1024);
    assertThat(RefineryConfig.environmentName("dedup.min-words"))
        .isEqualTo("REFINERY_DEDUP_MIN_WORDS");
  }

  @Test
  void errorsNameTheSetting() {
    assertThatThrownBy(() -> new ProbeConfig(Map.of("probe.sise", "2")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("probe.sise")
        .hasMessageContaining("probe.size");
    assertThatThrownBy(() -> new ProbeConfig(Map.of("probe.size", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("probe.size");
    assertThatThrownBy(() -> new ProbeConfig(Map.of("probe.streams", "web,Bad Name")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("probe.streams")
        .hasMessageContaining("Bad Name");
    assertThatThrownBy(() -> RefineryConfig.readProperties(dir.resolve("missing.properties")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("missing.properties");
  }
}
