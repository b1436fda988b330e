package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The Streams settings dedup-filter runs with: its defaults, and the user's over them. */
class DedupStreamsConfigTest {
  private static Properties streams(Map<String, Object> settings) {
    return DedupFilterService.streamsConfig(new DedupFilterConfig(new HashMap<>(settings)));
  }

  @Test
  void producerCompressesWithLz4ByDefault() {
    assertThat(streams(Map.of()).get("producer.compression.type")).isEqualTo("lz4");
  }

  @Test
  void theUsersCompressionIsKept() {
    assertThat(
            streams(Map.of("kafka.streams.producer.compression.type", "none"))
                .get("producer.compression.type"))
        .isEqualTo("none");
  }
}
