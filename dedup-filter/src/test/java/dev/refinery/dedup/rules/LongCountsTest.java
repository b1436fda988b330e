package dev.refinery.dedup.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The counts agree with a map's through clears of a few keys (only their slots emptied), of many
 * (the whole table) and across the table's growth.
 */
class LongCountsTest {
  @Test
  void countsAgreeWithAMapThroughClearsAndGrowth() {
    Random random = new Random(41);
    LongCounts counts = new LongCounts(4);
    for (int round = 0; round < 3_000; round++) {
      Map<Long, Integer> expected = new HashMap<>();
      // few keys, a quarter of the table, or past it (the table grows)
      int keys =
          switch (round % 3) {
            case 0 -> random.nextInt(4);
            case 1 -> counts.capacity() / 8 + random.nextInt(counts.capacity() / 8 + 1);
            default -> random.nextInt(300);
          };
      long range = 1 + random.nextInt(Math.max(1, keys));
      for (int i = 0; i < keys; i++) {
        // 0 too, counted apart from the table
        long key = random.nextLong(range) * 0x9E3779B97F4A7C15L;
        int now = expected.merge(key, 1, Integer::sum);
        assertThat(counts.increment(key)).as("round %d, key %d", round, key).isEqualTo(now);
      }
      assertThat(counts.size())
          .isEqualTo((int) expected.keySet().stream().filter(k -> k != 0).count());
      for (Map.Entry<Long, Integer> e : expected.entrySet()) {
        assertThat(counts.count(e.getKey())).isEqualTo(e.getValue());
      }
      counts.clear();
      for (Long key : expected.keySet()) {
        assertThat(counts.count(key)).as("round %d: %d after clear", round, key).isZero();
      }
      assertThat(counts.size()).isZero();
    }
  }
}
