package dev.refinery.bench;

import dev.refinery.dedup.DedupFilterConfig;
import dev.refinery.dedup.DedupFilterService;
import dev.refinery.dedup.DedupFilterTopology;
import dev.refinery.dedup.DedupMetrics;
import dev.refinery.dedup.rules.RuleSet;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.Topics;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * What dedup-filter keeps of documents when it sees every smaller one first: its topology in a
 * {@link TopologyTestDriver}, one partition, no hold, fed in (event time, id) order. The smallest
 * member of each cluster is then kept and every other member rejected, which is what the stage on a
 * cluster must keep where every copy is written within a hold of its smaller one or after it
 * (invariant 3, each copy caught). A benchmark compares what its pipeline kept with this.
 */
final class OnePass {
  private OnePass() {}

  /**
   * Where the pass keeps its stores: in memory ({@code /dev/shm}) where there is one, since the
   * driver writes each store's checkpoint file after every record (40 documents a second on this
   * machine's disk); else under {@code run}.
   */
  static Path stateDir(Path run) throws java.io.IOException {
    Path shm = Path.of("/dev/shm");
    return java.nio.file.Files.isDirectory(shm) && java.nio.file.Files.isWritable(shm)
        ? java.nio.file.Files.createTempDirectory(shm, "refinery-one-pass-")
        : run.resolve("one-pass");
  }

  /** A raw record as the stage read it. */
  record Raw(long eventTime, String id, byte[] bytes, long timestamp) {
    static Raw of(Document d, byte[] bytes, long timestamp) {
      Instant event = d.getFetchedAt() != null ? d.getFetchedAt() : d.getIngestedAt();
      return new Raw(event.toEpochMilli(), d.getId(), bytes, timestamp);
    }
  }

  /**
   * The ids of the documents kept (on {@code corpus.clean.v1}).
   *
   * @param settings the stage's settings (its rules and dedup options); the hold is set to none
   */
  static Set<String> kept(List<Raw> records, Map<String, Object> settings, Path stateDir) {
    System.out.printf("checking what it kept: %,d documents through one pass%n", records.size());
    long t0 = System.nanoTime();
    Map<String, Object> values = new HashMap<>(settings);
    values.put(DedupFilterConfig.HOLD_MS, 0L);
    values.put(DedupFilterConfig.STATE_DIR, stateDir.toString());
    DedupFilterConfig config = new DedupFilterConfig(values);
    Properties props = DedupFilterService.streamsConfig(config);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    List<Raw> ordered = new ArrayList<>(records);
    ordered.sort(Comparator.comparingLong(Raw::eventTime).thenComparing(Raw::id));
    Set<String> kept = new HashSet<>();
    try (TopologyTestDriver driver =
        new TopologyTestDriver(
            DedupFilterTopology.build(
                config,
                RuleSet.from(config),
                DedupMetrics.inMemory(),
                1,
                DedupFilterTopology.RawReadAt.UNKNOWN),
            props)) {
      TestInputTopic<String, byte[]> raw =
          driver.createInputTopic(
              Topics.CORPUS_RAW.name(), new StringSerializer(), new ByteArraySerializer());
      TestOutputTopic<String, byte[]> clean =
          driver.createOutputTopic(
              Topics.CORPUS_CLEAN.name(), new StringDeserializer(), new ByteArrayDeserializer());
      TestOutputTopic<String, byte[]> rejected =
          driver.createOutputTopic(
              Topics.CORPUS_REJECTED.name(), new StringDeserializer(), new ByteArrayDeserializer());
      int n = 0;
      for (Raw r : ordered) {
        raw.pipeInput(r.id(), r.bytes(), r.timestamp());
        if (++n % 5_000 == 0) {
          System.out.printf("  %,d of %,d%n", n, ordered.size());
        }
        if (n % 1_000 == 0 || n == ordered.size()) {
          // the driver keeps what it wrote until read
          clean
              .readValuesToList()
              .forEach(v -> kept.add(Topics.CORPUS_CLEAN.deserialize(v).getId()));
          rejected.readValuesToList();
        }
      }
    }
    System.out.printf(
        java.util.Locale.ROOT, "  one pass: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    return kept;
  }
}
