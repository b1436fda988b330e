package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.runtime.streams.RocksDbBudget;
import dev.refinery.schemas.Topics;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
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
  void taskIdlingIsOffAsNoStepReadsRecordsOfTwoTopics() {
    assertThat(streams(Map.of()).get("max.task.idle.ms")).isEqualTo(-1L);
    assertThat(streams(Map.of("kafka.streams.max.task.idle.ms", "0")).get("max.task.idle.ms"))
        .isEqualTo("0");
    // what makes it safe: where a task reads two topics (the screen and the gather step share one),
    // what each topic's records go through meets only at the gather step, which takes a document
    // and its answers in any order, and downstream of it
    Map<String, Set<String>> reached = new TreeMap<>();
    for (TopologyDescription.Subtopology subtopology :
        DedupFilterTopology.build(new DedupFilterConfig(Map.of()), DedupMetrics.inMemory())
            .describe()
            .subtopologies()) {
      List<TopologyDescription.Source> sources =
          subtopology.nodes().stream()
              .filter(n -> n instanceof TopologyDescription.Source)
              .map(n -> (TopologyDescription.Source) n)
              .toList();
      Set<String> met = new HashSet<>();
      Set<String> seen = new HashSet<>();
      for (TopologyDescription.Source source : sources) {
        assertThat(source.topicSet()).as("the topics of %s", source.name()).hasSize(1);
        Set<String> nodes = downstream(source);
        nodes.stream().filter(seen::contains).forEach(met::add);
        seen.addAll(nodes);
        reached.put(source.topicSet().iterator().next(), nodes);
      }
      Set<String> gathering = new HashSet<>();
      subtopology.nodes().stream()
          .filter(n -> n.name().equals("document-and-answers"))
          .forEach(
              n -> {
                gathering.add(n.name());
                gathering.addAll(downstream(n));
              });
      assertThat(met).as("where two topics' records meet in %s", subtopology).isSubsetOf(gathering);
    }
    assertThat(reached.get(DedupFilterTopology.GATHER + "-repartition"))
        .contains("gather")
        .doesNotContain("screen", "bucket");
    assertThat(reached.get(Topics.CORPUS_RAW.name())).contains("screen").doesNotContain("bucket");
    assertThat(reached.get(DedupFilterTopology.BY_KEY + "-repartition"))
        .contains("bucket")
        .doesNotContain("screen");
  }

  /** The names of the nodes records from {@code node} go through, itself left out. */
  private static Set<String> downstream(TopologyDescription.Node node) {
    Set<String> names = new HashSet<>();
    for (TopologyDescription.Node next : node.successors()) {
      names.add(next.name());
      names.addAll(downstream(next));
    }
    return names;
  }

  @Test
  void smallestKeysStoreHasBloomFiltersEverywhereAndSmallMemtablesAndTheOtherStoresAreLeftAlone() {
    assertThat(streams(Map.of()).get("rocksdb.config.setter")).isEqualTo(DedupRocksDbConfig.class);
    DedupRocksDbConfig setter = new DedupRocksDbConfig();
    try (org.rocksdb.Options smallest = new org.rocksdb.Options();
        org.rocksdb.Options pending = new org.rocksdb.Options();
        org.rocksdb.Options untouched = new org.rocksdb.Options()) {
      setter.setConfig(DedupFilterTopology.SMALLEST_STORE, smallest, Map.of());
      setter.setConfig(DedupFilterTopology.PENDING_STORE, pending, Map.of());
      assertThat(smallest.memtableWholeKeyFiltering()).isTrue();
      assertThat(smallest.memtablePrefixBloomSizeRatio()).isPositive();
      // Kafka Streams turns it on (no filter in the last level's files) before the setter runs
      smallest.setOptimizeFiltersForHits(true);
      setter.setConfig(DedupFilterTopology.SMALLEST_STORE, smallest, Map.of());
      assertThat(smallest.optimizeFiltersForHits()).isFalse();
      assertThat(smallest.writeBufferSize()).isEqualTo(2L * 1024 * 1024);
      assertThat(pending.writeBufferSize()).isEqualTo(untouched.writeBufferSize());
      assertThat(pending.memtableWholeKeyFiltering()).isFalse();
      assertThat(pending.memtablePrefixBloomSizeRatio()).isZero();
    }
  }

  @Test
  void withAMemoryBudgetEveryStoreSharesOneCacheAndOneWriteBufferManager() {
    Properties p = streams(Map.of("dedup.rocksdb.memory.bytes", "33554432"));
    assertThat(p.get(RocksDbBudget.MEMORY_BYTES)).isEqualTo(33_554_432L);
    Map<String, Object> configs = new HashMap<>();
    p.forEach((k, v) -> configs.put(k.toString(), v));
    DedupRocksDbConfig setter = new DedupRocksDbConfig();
    List<org.rocksdb.Options> opened = new java.util.ArrayList<>();
    try {
      for (String store : DedupFilterTopology.STORES) {
        // as Kafka Streams opens a store: its table settings first, then the setter
        org.rocksdb.Options options = new org.rocksdb.Options();
        opened.add(options);
        options.setTableFormatConfig(new BlockBasedTableConfigWithAccessibleCache());
        setter.setConfig(store, options, configs);
      }
      RocksDbBudget budget = RocksDbBudget.of(33_554_432L);
      for (org.rocksdb.Options options : opened) {
        var table = (BlockBasedTableConfigWithAccessibleCache) options.tableFormatConfig();
        assertThat(table.blockCache()).isSameAs(budget.cache());
        assertThat(table.cacheIndexAndFilterBlocks()).isTrue();
        assertThat(table.pinL0FilterAndIndexBlocksInCache()).isTrue();
        assertThat(options.writeBufferManager()).isSameAs(budget.memtables());
      }
    } finally {
      opened.forEach(org.rocksdb.Options::close);
    }
  }

  @Test
  void withoutABudgetEachStoreKeepsItsOwnCache() {
    Properties p = streams(Map.of());
    assertThat(p.get(RocksDbBudget.MEMORY_BYTES)).isEqualTo(0L);
    Map<String, Object> configs = new HashMap<>();
    p.forEach((k, v) -> configs.put(k.toString(), v));
    try (org.rocksdb.Options options = new org.rocksdb.Options();
        org.rocksdb.LRUCache own = new org.rocksdb.LRUCache(1 << 20)) {
      var table = new BlockBasedTableConfigWithAccessibleCache();
      table.setBlockCache(own);
      options.setTableFormatConfig(table);
      new DedupRocksDbConfig().setConfig(DedupFilterTopology.GATHER_STORE, options, configs);
      assertThat(
              ((BlockBasedTableConfigWithAccessibleCache) options.tableFormatConfig()).blockCache())
          .isSameAs(own);
      assertThat(options.writeBufferManager()).isNull();
    }
  }

  @Test
  void aBudgetUnder4MbAStoreIsWarnedOfWithWhatToGiveIt() {
    // four partitions, five stores each: 80 MB at least
    assertThat(DedupFilterService.smallBudget(0, 4)).isNull();
    assertThat(DedupFilterService.smallBudget(80L << 20, 4)).isNull();
    assertThat(DedupFilterService.smallBudget((80L << 20) - 1, 4))
        .contains("dedup.rocksdb.memory.bytes is 79 MB", "20 stores", "Give it 80 MB or more");
  }

  @Test
  void aBudgetThatIsNoSizeIsRefusedNamingTheSetting() {
    for (String bad : List.of("-1", "lots", "1.5")) {
      assertThatThrownBy(() -> streams(Map.of("dedup.rocksdb.memory.bytes", bad)))
          .isInstanceOf(org.apache.kafka.common.config.ConfigException.class)
          .hasMessageContaining("dedup.rocksdb.memory.bytes");
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
