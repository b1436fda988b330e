package dev.refinery.dedup;

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
 * <p>Set under {@code kafka.streams.rocksdb.config.setter}, another class replaces this one.
 */
public final class DedupRocksDbConfig implements RocksDBConfigSetter {
  /** The filter's memory, as a fraction of the memtable's: about 10 bits for a key of 50 bytes. */
  static final double MEMTABLE_BLOOM_RATIO = 0.03;

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    if (storeName.equals(DedupFilterTopology.SMALLEST_STORE)) {
      options.setMemtablePrefixBloomSizeRatio(MEMTABLE_BLOOM_RATIO);
      options.setMemtableWholeKeyFiltering(true);
      options.setOptimizeFiltersForHits(false);
    }
  }

  @Override
  public void close(String storeName, Options options) {}
}
