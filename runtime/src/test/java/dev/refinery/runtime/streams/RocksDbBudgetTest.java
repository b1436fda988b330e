package dev.refinery.runtime.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
import org.junit.jupiter.api.Test;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.PlainTableConfig;

/** A stage's RocksDB memory budget, as Kafka Streams hands it the stores it opens. */
class RocksDbBudgetTest {
  static {
    // the tests make caches of their own, for the stores' options, before any store is opened
    org.rocksdb.RocksDB.loadLibrary();
  }

  private static Map<String, Object> configs(Properties streams) {
    Map<String, Object> configs = new HashMap<>();
    streams.forEach((k, v) -> configs.put(k.toString(), v));
    return configs;
  }

  /**
   * A store's options as Kafka Streams makes them before the setter: a table with its own cache.
   */
  private static Options opened(LRUCache own) {
    Options options = new Options();
    BlockBasedTableConfigWithAccessibleCache table = new BlockBasedTableConfigWithAccessibleCache();
    table.setBlockCache(own);
    options.setTableFormatConfig(table);
    return options;
  }

  @Test
  void everyStoreOfABudgetSharesItsCacheAndItsWriteBufferManager() {
    Properties streams = new Properties();
    RocksDbBudget.configure(streams, 48L << 20);
    assertThat(streams.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
        .isEqualTo(RocksDbBudget.Setter.class);
    RocksDbBudget budget = RocksDbBudget.of(48L << 20);
    try (LRUCache own = new LRUCache(1 << 20);
        Options a = opened(own);
        Options b = opened(own)) {
      for (Options options : List.of(a, b)) {
        new RocksDbBudget.Setter().setConfig("store", options, configs(streams));
        var table = (BlockBasedTableConfigWithAccessibleCache) options.tableFormatConfig();
        assertThat(table.blockCache()).isSameAs(budget.cache()).isNotSameAs(own);
        assertThat(table.cacheIndexAndFilterBlocks()).isTrue();
        assertThat(table.cacheIndexAndFilterBlocksWithHighPriority()).isTrue();
        assertThat(table.pinL0FilterAndIndexBlocksInCache()).isTrue();
        assertThat(options.writeBufferManager()).isSameAs(budget.memtables());
      }
    }
    assertThat(RocksDbBudget.of(48L << 20)).as("one budget of a size a process").isSameAs(budget);
  }

  @Test
  void withoutABudgetAStoreKeepsKafkaStreamsSettings() {
    Properties streams = new Properties();
    RocksDbBudget.configure(streams, 0);
    assertThat(streams.get(RocksDbBudget.MEMORY_BYTES)).isEqualTo(0L);
    assertThat(streams).doesNotContainKey(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG);
    try (LRUCache own = new LRUCache(1 << 20);
        Options options = opened(own)) {
      RocksDbBudget.apply("store", options, configs(streams));
      var table = (BlockBasedTableConfigWithAccessibleCache) options.tableFormatConfig();
      assertThat(table.blockCache()).isSameAs(own);
      assertThat(table.cacheIndexAndFilterBlocks()).isFalse();
      assertThat(options.writeBufferManager()).isNull();
    }
  }

  @Test
  void aStagesOwnSetterIsKeptAndCallsTheBudgetItself() {
    Properties streams = new Properties();
    streams.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, String.class);
    RocksDbBudget.configure(streams, 48L << 20);
    assertThat(streams.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
        .isEqualTo(String.class);
  }

  @Test
  void aStoreWithoutBlockBasedTablesIsRefusedWithWhatToDo() {
    Properties streams = new Properties();
    RocksDbBudget.configure(streams, 48L << 20);
    try (Options options = new Options()) {
      options.setTableFormatConfig(new PlainTableConfig());
      assertThatThrownBy(() -> RocksDbBudget.apply("plain", options, configs(streams)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("plain")
          .hasMessageContaining("set the budget to 0");
    }
  }

  @Test
  void aBudgetIsAboveZero() {
    assertThatThrownBy(() -> RocksDbBudget.of(0L)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RocksDbBudget.of(-1L)).isInstanceOf(IllegalArgumentException.class);
    assertThat(RocksDbBudget.least(20)).isEqualTo(80L << 20);
  }
}
