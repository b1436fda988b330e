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

  @Test
  void producerBatchesAreLargerThanKafkasDefault() {
    assertThat(streams(Map.of()).get("producer.batch.size")).isEqualTo(256 * 1024);
  }

  @Test
  void commitsEvery300MsByDefault() {
    assertThat(streams(Map.of()).get("commit.interval.ms")).isEqualTo(300L);
  }

  @Test
  void smallestKeysStoreHasBloomFiltersEverywhereAndTheOtherStoresAreLeftAlone() {
    assertThat(streams(Map.of()).get("rocksdb.config.setter")).isEqualTo(DedupRocksDbConfig.class);
    DedupRocksDbConfig setter = new DedupRocksDbConfig();
    try (org.rocksdb.Options smallest = new org.rocksdb.Options();
        org.rocksdb.Options pending = new org.rocksdb.Options()) {
      setter.setConfig(DedupFilterTopology.SMALLEST_STORE, smallest, Map.of());
      setter.setConfig(DedupFilterTopology.PENDING_STORE, pending, Map.of());
      assertThat(smallest.memtableWholeKeyFiltering()).isTrue();
      assertThat(smallest.memtablePrefixBloomSizeRatio()).isPositive();
      // Kafka Streams turns it on (no filter in the last level's files) before the setter runs
      smallest.setOptimizeFiltersForHits(true);
      setter.setConfig(DedupFilterTopology.SMALLEST_STORE, smallest, Map.of());
      assertThat(smallest.optimizeFiltersForHits()).isFalse();
      assertThat(pending.memtableWholeKeyFiltering()).isFalse();
      assertThat(pending.memtablePrefixBloomSizeRatio()).isZero();
    }
  }

  @Test
  void theUsersRocksDbSetterIsKept() {
    assertThat(
            streams(Map.of("kafka.streams.rocksdb.config.setter", Tuned.class.getName()))
                .get("rocksdb.config.setter"))
        .isEqualTo(Tuned.class.getName());
  }

  /** A user's own RocksDB settings. */
  public static final class Tuned implements org.apache.kafka.streams.state.RocksDBConfigSetter {
    @Override
    public void setConfig(String storeName, org.rocksdb.Options options, Map<String, Object> c) {}

    @Override
    public void close(String storeName, org.rocksdb.Options options) {}
  }
}
