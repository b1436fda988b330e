package dev.refinery.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeysTest {
  @Test
  void batchKeysRoundTripAndSortInIndexOrder() {
    assertThat(Keys.batch("web", 42)).isEqualTo("web-000000000042");
    assertThat(Keys.batchIndex(Keys.batch("web", 42))).isEqualTo(42);
    assertThat(Keys.batchIndex(Keys.batch("my-stream_2", 7))).isEqualTo(7);
    assertThat(Keys.batch("web", 9).compareTo(Keys.batch("web", 10))).isNegative();
    assertThat(Keys.batchIndex(Keys.batch("web", 1_000_000_000_000L)))
        .isEqualTo(1_000_000_000_000L);
    assertThatThrownBy(() -> Keys.batch("web", -1)).hasMessageContaining("negative");
  }

  @Test
  void keysThatAreNotBatchKeysHaveNoIndex() {
    for (String garbage :
        new String[] {
          null, "", "web", "web-", "-", "web-12a", "web-+12", "web-99999999999999999999"
        }) {
      assertThat(Keys.batchIndex(garbage)).as(String.valueOf(garbage)).isEqualTo(-1);
    }
  }

  @Test
  void checkpointKeys() {
    assertThat(Keys.checkpoint("run-7", 1000)).isEqualTo("run-7/000000001000");
  }
}
