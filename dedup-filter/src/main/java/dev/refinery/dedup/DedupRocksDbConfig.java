package dev.refinery.dedup;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * RocksDB as Kafka Streams opens it, with a bloom filter over the whole keys of each memtable of
 * {@code dedup-smallest}. Almost every key the by-key step looks up there is new (a new document's
 * keys are new), and without the filter each such miss searched the memtables' skip lists to the
 * end: 4.6 % of the stream thread's CPU in a profile of {@code bench/run dedup}.
 *
 * <p>The same misses are why its files keep a bloom filter at every level: Kafka Streams opens
 * RocksDB with {@code optimize_filters_for_hits}, which leaves the filter out of the last level's
 * files, where most keys are. There each miss searched an index and a data block. Over 50,000
 * documents this made a document cost the stream thread 0.670 ms instead of 0.554 ({@code bench/run
 * dedup --docs 50000}); the filters take about 10 bits a key.
 *
 * <p>Its memtables are 2 MB, not Kafka Streams' 16: each new key (about 13 a document, random) is
 * inserted into a skip list, and in one of 16 MB, far larger than the caches, each insert walked
 * its levels through cache misses (8 % of the stream thread in a profile of {@code bench/run
 * dedup}). With 2 MB a document cost the thread 0.335 to 0.348 ms instead of 0.375 to 0.422 over
 * 20,000 documents, and 0.420 instead of 0.432 over 100,000, where most keys are in files anyway; 1
 * and 4 MB did less well than 2 (0.369; 0.364 and 0.376). The memtables are flushed more often, to
 * smaller files, by RocksDB's own threads.
 *
 * <p>With {@code dedup.rocksdb.memory.bytes} above 0 every store of the stage, of every task in the
 * process, takes its memory from one budget: one LRU cache for the files' blocks, their indexes and
 * filters, and the memtables, charged to that cache by one write buffer manager (half of it at
 * most, then the largest memtable is flushed). Kafka Streams' own settings give each store of each
 * task a cache of 50 MB and up to three memtables of 16 MB, so that the stage's memory outside the
 * heap grows with the partitions an instance works on, unbounded; with the budget it stays about
 * the budget, whatever the tasks (the pattern of Kafka Streams' memory management docs). The budget
 * is the process's: stages in one JVM configured with the same size share it.
 *
 * <p>Set under {@code kafka.streams.rocksdb.config.setter}, another class replaces this one.
 */
public final class DedupRocksDbConfig implements RocksDBConfigSetter {
  /** The filter's memory, as a fraction of the memtable's: about 10 bits for a key of 50 bytes. */
  static final double MEMTABLE_BLOOM_RATIO = 0.03;

  /** The size of each memtable of {@code dedup-smallest}. */
  static final long SMALLEST_WRITE_BUFFER_BYTES = 2L * 1024 * 1024;

  /** Where {@link DedupFilterService} puts the budget among the Streams settings. */
  static final String MEMORY_BYTES = "refinery.dedup.rocksdb.memory.bytes";

  /** The share of the budget that indexes and filters keep before blocks take the rest. */
  static final double INDEX_FILTER_SHARE = 0.2;

  /** The budgets of this process, by their size: each lives as long as the process. */
  private static final Map<Long, Budget> BUDGETS = new ConcurrentHashMap<>();

  /** One budget: the cache every store reads through and the manager its memtables charge. */
  record Budget(Cache cache, WriteBufferManager memtables) {
    static Budget of(long bytes) {
      return BUDGETS.computeIfAbsent(
          bytes,
          b -> {
            LRUCache cache = new LRUCache(b, -1, false, INDEX_FILTER_SHARE);
            return new Budget(cache, new WriteBufferManager(b / 2, cache));
          });
    }
  }

  /** The budget stores of this process take their memory from, or null where they have none. */
  static Budget budget(Map<String, ?> configs) {
    Object bytes = configs.get(MEMORY_BYTES);
    long b = bytes == null ? 0 : Long.parseLong(bytes.toString());
    return b > 0 ? Budget.of(b) : null;
  }

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    Budget budget = budget(configs);
    if (budget != null) {
      // Kafka Streams hands its table settings in a class that shows the cache to its metrics
      if (!(options.tableFormatConfig() instanceof BlockBasedTableConfig table)) {
        throw new IllegalStateException(
            "dedup.rocksdb.memory.bytes: store "
                + storeName
                + " has no block-based table settings to bound; set it to 0 where another"
                + " RocksDB setter makes the tables");
      }
      table.setBlockCache(budget.cache());
      // indexes and filters in the cache, so that they count against the budget, kept ahead of
      // data blocks, and those of the newest files pinned: every miss of a new key asks them
      table.setCacheIndexAndFilterBlocks(true);
      table.setCacheIndexAndFilterBlocksWithHighPriority(true);
      table.setPinTopLevelIndexAndFilter(true);
      table.setPinL0FilterAndIndexBlocksInCache(true);
      options.setTableFormatConfig(table);
      options.setWriteBufferManager(budget.memtables());
    }
    if (storeName.equals(DedupFilterTopology.SMALLEST_STORE)) {
      options.setMemtablePrefixBloomSizeRatio(MEMTABLE_BLOOM_RATIO);
      options.setMemtableWholeKeyFiltering(true);
      options.setOptimizeFiltersForHits(false);
      options.setWriteBufferSize(SMALLEST_WRITE_BUFFER_BYTES);
    }
  }

  @Override
  public void close(String storeName, Options options) {}
}
