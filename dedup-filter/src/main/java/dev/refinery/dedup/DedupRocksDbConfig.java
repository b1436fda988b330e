package dev.refinery.dedup;

import dev.refinery.runtime.streams.RocksDbBudget;
import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.Options;

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
 * <p>With {@code dedup.rocksdb.memory.bytes} above 0 every store of the stage takes its memory from
 * one budget ({@link RocksDbBudget}).
 *
 * <p>Set under {@code kafka.streams.rocksdb.config.setter}, another class replaces this one.
 */
public final class DedupRocksDbConfig implements RocksDBConfigSetter {
  /** The filter's memory, as a fraction of the memtable's: about 10 bits for a key of 50 bytes. */
  static final double MEMTABLE_BLOOM_RATIO = 0.03;

  /** The size of each memtable of {@code dedup-smallest}. */
  static final long SMALLEST_WRITE_BUFFER_BYTES = 2L * 1024 * 1024;

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    RocksDbBudget.apply(storeName, options, configs);
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
