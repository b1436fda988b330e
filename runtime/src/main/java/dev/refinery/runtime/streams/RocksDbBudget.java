package dev.refinery.runtime.streams;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

/**
 * A bound on the memory a Kafka Streams stage's RocksDB takes outside the heap: every store of the
 * process reads through one LRU cache of the budget's size, which also holds their indexes and
 * filters, and their memtables are charged to it by one write buffer manager (half of it at most,
 * then the largest memtable is flushed), the pattern of Kafka Streams' memory management docs.
 * Kafka Streams' own settings give each store of each task a cache of 50 MB and up to three
 * memtables of 16 MB, and leave the files' indexes and filters in memory outside any cache, so that
 * a stage's memory grows with the partitions an instance works on and with its state, without a
 * bound.
 *
 * <p>A stage puts its budget among its Streams settings with {@link #configure}; a budget is the
 * process's, by its size: stages in one JVM configured with the same size share it. Its cost: the
 * cache's lookups of the indexes and filters each lookup of a key asks for (7 to 8 % of
 * dedup-filter's stream thread, {@code bench/run dedup --docs 100000}).
 */
public final class RocksDbBudget {
  /** Where the budget travels among the Streams settings, to the RocksDB setter. */
  public static final String MEMORY_BYTES = "refinery.rocksdb.memory.bytes";

  /** The share of the cache that indexes and filters keep before blocks take the rest. */
  static final double INDEX_FILTER_SHARE = 0.2;

  /** The budgets of this process, by their size: each lives as long as the process. */
  private static final Map<Long, RocksDbBudget> BUDGETS = new ConcurrentHashMap<>();

  private final Cache cache;
  private final WriteBufferManager memtables;

  private RocksDbBudget(long bytes) {
    // a budget can be made before any store is opened (a /metrics scrape at start): RocksDB's
    // native library is loaded by its Options and RocksDB classes, not by its caches
    RocksDB.loadLibrary();
    LRUCache lru = new LRUCache(bytes, -1, false, INDEX_FILTER_SHARE);
    this.cache = lru;
    this.memtables = new WriteBufferManager(bytes / 2, lru);
  }

  /** The name of a stage's setting, under its prefix ({@code dedup.}, {@code feedback.}). */
  public static final String SETTING = "rocksdb.memory.bytes";

  /** Defines a stage's budget setting, {@code <prefix>rocksdb.memory.bytes}, 0 by default. */
  public static org.apache.kafka.common.config.ConfigDef define(
      org.apache.kafka.common.config.ConfigDef definition, String prefix) {
    return definition.define(
        prefix + SETTING,
        org.apache.kafka.common.config.ConfigDef.Type.LONG,
        0L,
        org.apache.kafka.common.config.ConfigDef.Range.between(0L, 1L << 40),
        org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM,
        "Memory outside the heap that RocksDB may take for all of this process's stores, their"
            + " memtables and the blocks, indexes and filters read from their files: one cache,"
            + " the memtables charged to it (half of it at most, then they are flushed). Add it to"
            + " the heap when sizing a container, with about 300 MB for the JVM's own. 0: Kafka"
            + " Streams' settings for each store of each task (a cache of 50 MB and up to three"
            + " memtables of 16 MB), which grow with the partitions an instance works on and with"
            + " the state, without bound. refinery up, where nothing sets it, gives dedup-filter"
            + " and the feedback gateway one budget of 256 MiB between them.");
  }

  /** The process's budget of this size. */
  public static RocksDbBudget of(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("a RocksDB budget is above 0 bytes: " + bytes);
    }
    return BUDGETS.computeIfAbsent(bytes, RocksDbBudget::new);
  }

  /** The cache every store of the budget reads through. */
  public Cache cache() {
    return cache;
  }

  /** The manager the budget's memtables are charged to. */
  public WriteBufferManager memtables() {
    return memtables;
  }

  /**
   * Puts the budget among a stage's Streams settings ({@code 0}: none), with {@link Setter} as the
   * RocksDB setter where the stage has none of its own; a stage's own setter calls {@link #apply}.
   */
  public static void configure(Properties streams, long bytes) {
    streams.put(MEMORY_BYTES, bytes);
    if (bytes > 0) {
      streams.putIfAbsent(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, Setter.class);
    }
  }

  /** The budget the Streams settings carry, or null where they carry none. */
  public static RocksDbBudget of(Map<String, ?> configs) {
    Object bytes = configs.get(MEMORY_BYTES);
    long b = bytes == null ? 0 : Long.parseLong(bytes.toString());
    return b > 0 ? of(b) : null;
  }

  /** Makes a store being opened take its memory from the budget its settings carry, if any. */
  public static void apply(String storeName, Options options, Map<String, Object> configs) {
    RocksDbBudget budget = of(configs);
    if (budget == null) {
      return;
    }
    // Kafka Streams hands its table settings in a class that shows the cache to its metrics
    if (!(options.tableFormatConfig() instanceof BlockBasedTableConfig table)) {
      throw new IllegalStateException(
          "a RocksDB memory budget: store "
              + storeName
              + " has no block-based table settings to bound; set the budget to 0 where another"
              + " RocksDB setter makes the tables");
    }
    table.setBlockCache(budget.cache);
    // indexes and filters in the cache, so that they count against the budget, kept ahead of data
    // blocks, and those of the newest files pinned
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setPinTopLevelIndexAndFilter(true);
    table.setPinL0FilterAndIndexBlocksInCache(true);
    options.setTableFormatConfig(table);
    options.setWriteBufferManager(budget.memtables);
  }

  /**
   * Registers {@code name} (bytes): RocksDB's memory outside the heap, the budget's usage where
   * there is one, else what Kafka Streams' RocksDB metrics of the instance's stores add up to
   * (memtables, block caches and table readers, each store with a cache of its own).
   */
  public static void registerGauge(
      MeterRegistry registry, String name, KafkaStreams streams, long bytes) {
    Gauge.builder(name, streams, s -> memory(s, bytes))
        .description(
            "Memory outside the heap RocksDB takes for this instance's stores (memtables, blocks,"
                + " indexes and filters); with a memory budget, the process's budget's")
        .baseUnit("bytes")
        .register(registry);
  }

  /** The gauge's value. */
  public static long memory(KafkaStreams streams, long bytes) {
    if (bytes > 0) {
      // the budget's cache holds the blocks, indexes and filters read and the memtables' charges
      return of(bytes).cache.getUsage();
    }
    long sum = 0;
    for (var m : streams.metrics().entrySet()) {
      String metric = m.getKey().name();
      if (m.getKey().group().equals("stream-state-metrics")
          && (metric.equals("size-all-mem-tables")
              || metric.equals("block-cache-usage")
              || metric.equals("estimate-table-readers-mem"))
          && m.getValue().metricValue() instanceof Number n) {
        sum += n.longValue();
      }
    }
    return sum;
  }

  /**
   * The least budget for {@code stores} stores: each written store holds a memtable of at least an
   * arena block (1 MB), and where the budget's memtable half is less than twice that the write
   * buffer manager flushes a memtable on nearly every write.
   */
  public static long least(long stores) {
    return stores * (4L << 20);
  }

  /** The RocksDB setter of a stage that has none of its own: the budget, nothing else. */
  public static final class Setter implements RocksDBConfigSetter {
    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
      apply(storeName, options, configs);
    }

    @Override
    public void close(String storeName, Options options) {}
  }
}
