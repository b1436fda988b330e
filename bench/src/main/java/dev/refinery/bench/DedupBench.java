package dev.refinery.bench;

import dev.refinery.dedup.DedupFilterConfig;
import dev.refinery.dedup.DedupFilterService;
import dev.refinery.dedup.DedupFilterTopology;
import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.infra.TopicProvisioner;
import dev.refinery.infra.text.SyntheticText;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * dedup-filter's throughput on this machine: a backlog of web-like documents on corpus.raw.v1 (four
 * partitions; a tenth exact copies, a tenth near copies), drained by the stage with all its rules
 * (or those of {@code --rules}, e.g. {@code none}), and, as the baseline in the same run on the
 * same broker, by a Kafka Streams application with the same settings ({@code exactly_once_v2}) that
 * only copies each record to a topic.
 *
 * <p>Both are measured warm, as a stage that runs for days is: {@code --warmup-docs} documents
 * (other texts, before the measured ones on the topic) go through each first, so that the JIT has
 * compiled the rules, Streams and the broker (on two cores the C2 compiler otherwise takes much of
 * a core for the first minute). dedup-filter's warm-up goes through {@code --warmups} (2) fresh
 * instances in turn, and the compilers are let catch up after ({@link JitQuiet}): after one, C2
 * still took 0.30 to 0.33 of a core through the measured run. The measured dedup-filter is a fresh
 * instance, with empty state, whose group starts after the warm-up documents.
 */
public final class DedupBench {
  private DedupBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    Path work = Path.of(options.getOrDefault("work-dir", ".refinery/bench"));
    int count = Integer.parseInt(options.getOrDefault("docs", "20000"));
    int threads = Integer.parseInt(options.getOrDefault("threads", "1"));
    int warmup = Integer.parseInt(options.getOrDefault("warmup-docs", "10000"));
    Path run = work.resolve("dedup-" + System.nanoTime());
    Files.createDirectories(run);
    EmbeddedKafka kafka = null;
    String bootstrap = options.get("bootstrap-servers");
    if (bootstrap == null) {
      kafka = EmbeddedKafka.startEphemeral(run.resolve("kafka"));
      bootstrap = kafka.bootstrapServers();
      System.out.printf("broker: embedded KRaft on %s%n", bootstrap);
    }
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      new TopicProvisioner(admin).provision(Topics.fixed());
      produce(bootstrap, warmup, 11, "warm-");
      Map<TopicPartition, OffsetAndMetadata> afterWarmup = endOffsets(admin);
      long bytes = produce(bootstrap, count, 7, "doc-");
      System.out.printf(
          Locale.ROOT,
          "backlog: %,d documents, %.1f MB on %s, after %,d warm-up documents; stream threads: %d%n",
          count,
          bytes / 1e6,
          Topics.CORPUS_RAW.name(),
          warmup,
          threads);

      double copyBefore = copy(bootstrap, run, "before", threads, warmup, count);
      System.out.printf(Locale.ROOT, "  copy (EOS passthrough):  %.1f s%n", copyBefore);
      String rules = options.get("rules");
      // the warm-up documents through --warmups fresh instances in turn (see above)
      int warmups = warmup > 0 ? Integer.parseInt(options.getOrDefault("warmups", "2")) : 0;
      for (int pass = 0; pass < warmups; pass++) {
        long warmStarted = System.nanoTime();
        try (DedupFilterService service =
            DedupFilterService.start(
                config(options, bootstrap, run.resolve("warm-" + pass), threads))) {
          service.awaitRunning(Duration.ofSeconds(60));
          while (decided(service) < warmup) {
            Thread.sleep(20);
          }
        }
        System.out.printf(
            Locale.ROOT,
            "  dedup-filter warm-up %d:  %.1f s for %,d documents (not counted)%n",
            pass + 1,
            (System.nanoTime() - warmStarted) / 1e9,
            warmup);
      }
      if (warmups > 0) {
        JitQuiet.await(60);
      }
      DedupFilterConfig config = config(options, bootstrap, run.resolve("streams"), threads);
      printStageOptions(options);
      // the measured instance starts after the warm-up documents
      admin.alterConsumerGroupOffsets(config.applicationId(), afterWarmup).all().get();
      double dedupSeconds;
      double readSeconds;
      long started;
      try (DedupFilterService service = DedupFilterService.start(config)) {
        service.awaitRunning(Duration.ofSeconds(60));
        started = System.nanoTime();
        CpuSplit cpu = CpuSplit.start();
        long lastPrint = started;
        // when the stage had read (screened) every document: what follows is the run's tail, the
        // decisions that waited for the partitions to be read past them, the last answers' hold
        // and the commits that bring them to a decision
        long allRead = 0;
        while (decided(service) < count) {
          if (allRead == 0 && service.metrics().documentsIn() >= count) {
            allRead = System.nanoTime();
          }
          Thread.sleep(20);
          if (System.nanoTime() - lastPrint > 5_000_000_000L) {
            System.out.printf("  dedup-filter: %,d of %,d decided%n", decided(service), count);
            lastPrint = System.nanoTime();
          }
        }
        dedupSeconds = (System.nanoTime() - started) / 1e9;
        readSeconds = ((allRead == 0 ? System.nanoTime() : allRead) - started) / 1e9;
        double cpuSeconds = cpu.seconds(CpuSplit.STREAM_THREADS);
        cpu.print("  ");
        System.out.printf(
            Locale.ROOT,
            "  dedup-filter:            %.1f s (%s); all documents read after %.1f s%n",
            dedupSeconds,
            service.metrics().rejectedByReason(),
            readSeconds);
        // steadier than the rate where other threads share the cores: what a document costs
        System.out.printf(
            Locale.ROOT,
            "  stream threads' CPU:     %.3f ms a document, busy %.0f %% of the time%n",
            cpuSeconds * 1000 / count,
            100 * cpuSeconds / threads / dedupSeconds);
        // what dedup keeps for good: the smallest holder of every key (the other stores empty out)
        long[] kept = service.storeSize(DedupFilterTopology.SMALLEST_STORE);
        if (kept != null) {
          System.out.printf(
              Locale.ROOT,
              "  dedup state (%s): %,d keys, %,d bytes of keys and values: %.1f keys, %.0f bytes a document   goal <= 200%n",
              DedupFilterTopology.SMALLEST_STORE,
              kept[0],
              kept[1],
              (double) kept[0] / count,
              (double) kept[1] / count);
          // what the disk holds of it: RocksDB's files (keys prefix-compressed, blocks with their
          // indexes and filters, uncompressed as Kafka Streams opens it), without the memtables not
          // yet flushed
          long files = sstBytes(run.resolve("streams"), DedupFilterTopology.SMALLEST_STORE);
          System.out.printf(
              Locale.ROOT,
              "  dedup state on disk:     %,d bytes in its SST files: %.0f bytes a document%n",
              files,
              (double) files / count);
        }
        // what a document costs the stores, counted: each write reaches its store's changelog
        StringBuilder writes = new StringBuilder();
        long allWrites = 0;
        for (Map.Entry<String, Long> e : service.changelogRecords().entrySet()) {
          writes.append(
              String.format(Locale.ROOT, ", %s %.2f", e.getKey(), (double) e.getValue() / count));
          allWrites += e.getValue();
        }
        System.out.printf(
            Locale.ROOT,
            "  store writes a document:  %.2f (changelog records%s)%n",
            (double) allWrites / count,
            writes);
        // RocksDB's memory outside the heap (dedup.rocksdb.memory.bytes bounds it)
        System.out.printf(
            Locale.ROOT,
            "  RocksDB memory:          %.1f MB (memtables, blocks, indexes and filters)%n",
            service.rocksDbMemory() / 1e6);
      }
      // the copy again, and the faster of the two is the baseline: one copy of the backlog takes
      // half a second, and it ran at 16,018 to 43,278 documents a second in runs of one session
      double copyAfter = copy(bootstrap, run, "after", threads, warmup, count);
      System.out.printf(Locale.ROOT, "  copy again, after:       %.1f s%n", copyAfter);
      double copySeconds = Math.min(copyBefore, copyAfter);
      double mb = bytes / 1e6;
      System.out.printf(Locale.ROOT, "%n%-42s %9s %9s%n", "", "docs/s", "MB/s");
      System.out.printf(
          Locale.ROOT,
          "%-42s %9.0f %9.1f%n",
          "Kafka Streams EOS copy (faster of two)",
          count / copySeconds,
          mb / copySeconds);
      System.out.printf(
          Locale.ROOT,
          "%-42s %9.0f %9.1f%n",
          "dedup-filter (rules: " + (rules == null ? "all" : rules) + ")",
          count / dedupSeconds,
          mb / dedupSeconds);
      System.out.printf(
          Locale.ROOT, "%-42s %9.2f%n", "ratio dedup-filter / copy", copySeconds / dedupSeconds);
      System.out.printf(
          "(after the last document is read, the answers still held wait until every partition of"
              + " raw is marked read past them and the hold (%d ms), which the stage finds four"
              + " times a second: the decisions they bring, and the commits between, end"
              + " dedup-filter's time)%n",
          config.holdMs());
    } finally {
      if (kafka != null) {
        kafka.close();
      }
      BenchKafka.deleteRecursively(run);
    }
  }

  /**
   * A fresh dedup-filter on the broker with the rules of {@code --rules} and any {@code dedup.*} or
   * {@code kafka.*} option (to measure its effect: {@code --dedup.commit.interval.ms 500}).
   */
  private static DedupFilterConfig config(
      Map<String, String> options, String bootstrap, Path state, int threads) {
    Map<String, Object> settings = settings(bootstrap, "bench-dedup", state, threads);
    String rules = options.get("rules");
    if (rules != null) {
      settings.put(DedupFilterConfig.RULES_KIND + "public_web", rules);
    }
    return new DedupFilterConfig(withStageOptions(settings, options));
  }

  /** The settings with every {@code dedup.*} and {@code kafka.*} option of the command line. */
  static Map<String, Object> withStageOptions(
      Map<String, Object> settings, Map<String, String> options) {
    settings.putAll(Options.under(options, "dedup.", "kafka."));
    return settings;
  }

  /** Prints each {@code dedup.*} and {@code kafka.*} option the run was given. */
  static void printStageOptions(Map<String, String> options) {
    Options.printUnder(options, "dedup.", "kafka.");
  }

  /** Where each partition of corpus.raw.v1 ends now. */
  static Map<TopicPartition, OffsetAndMetadata> endOffsets(Admin admin) throws Exception {
    int partitions =
        admin
            .describeTopics(List.of(Topics.CORPUS_RAW.name()))
            .allTopicNames()
            .get()
            .get(Topics.CORPUS_RAW.name())
            .partitions()
            .size();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      latest.put(new TopicPartition(Topics.CORPUS_RAW.name(), p), OffsetSpec.latest());
    }
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    admin
        .listOffsets(latest)
        .all()
        .get()
        .forEach((tp, info) -> out.put(tp, new OffsetAndMetadata(info.offset())));
    return out;
  }

  /** The bytes of the SST files of every task's {@code store} under a state directory. */
  static long sstBytes(Path stateDir, String store) throws java.io.IOException {
    try (var files = Files.walk(stateDir)) {
      return files
          .filter(f -> f.toString().endsWith(".sst"))
          .filter(
              f -> f.getParent() != null && f.getParent().getFileName().toString().equals(store))
          .mapToLong(f -> f.toFile().length())
          .sum();
    }
  }

  /** Settings of a fresh application (its own id and state) on the broker, without /metrics. */
  static Map<String, Object> settings(String bootstrap, String name, Path state, int threads) {
    return new HashMap<>(
        Map.of(
            "bootstrap.servers",
            bootstrap,
            DedupFilterConfig.APPLICATION_ID,
            name + "-" + System.nanoTime(),
            DedupFilterConfig.STATE_DIR,
            state.toString(),
            DedupFilterConfig.STREAM_THREADS,
            threads,
            DedupFilterConfig.HTTP_PORT,
            -1));
  }

  private static long decided(DedupFilterService service) {
    var m = service.metrics();
    return m.documentsClean()
        + m.rejectedByReason().values().stream().mapToLong(Long::longValue).sum()
        + m.replaysDropped();
  }

  /**
   * Web-like documents of 3 to 8 paragraphs; a tenth exact copies, a tenth with a sentence added.
   */
  static long produce(String bootstrap, int count) throws Exception {
    return produce(bootstrap, count, 7, "doc-");
  }

  /** The same from another seed, with native ids {@code prefix + i}. */
  static long produce(String bootstrap, int count, long seed, String prefix) throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    SyntheticText prose = new SyntheticText(seed);
    List<String> texts = new ArrayList<>();
    long bytes = 0;
    Source source = BenchKafka.source("bench-web", "web");
    try (KafkaProducer<String, byte[]> producer = BenchKafka.producer(bootstrap)) {
      for (int i = 0; i < count; i++) {
        String text;
        int kind = random.nextInt(10);
        if (kind == 0 && !texts.isEmpty()) {
          text = texts.get(random.nextInt(texts.size()));
        } else if (kind == 1 && !texts.isEmpty()) {
          text =
              texts
                  .get(random.nextInt(texts.size()))
                  .replaceFirst("\\. ", ". " + prose.sentence() + " ");
        } else {
          text = prose.paragraphs(3 + random.nextInt(6), "\n\n");
          texts.add(text);
        }
        Document doc =
            Document.newBuilder()
                .setId(DocumentIds.of("bench-web", prefix + i))
                .setSource(source)
                .setNativeId(prefix + i)
                .setUrl("https://bench.example.org/" + i)
                .setIngestedAt(Instant.parse("2026-11-22T00:00:00Z").plusMillis(i))
                .setText(text)
                .build();
        byte[] value = Topics.CORPUS_RAW.serialize(doc);
        bytes += value.length;
        producer.send(new ProducerRecord<>(Topics.CORPUS_RAW.name(), doc.getId(), value));
      }
      producer.flush();
    }
    return bytes;
  }

  /**
   * Seconds a copy of corpus.raw.v1 takes with the stage's Streams settings, from its first record
   * after the warm-up's to its last; {@code name} tells copies apart (application, sink topic).
   */
  private static double copy(
      String bootstrap, Path run, String name, int threads, int warmup, int count)
      throws Exception {
    String sink = "bench.copy-" + name + ".v1";
    StreamsBuilder builder = new StreamsBuilder();
    AtomicLong copied = new AtomicLong();
    builder.stream(Topics.CORPUS_RAW.name(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .peek((k, v) -> copied.incrementAndGet())
        .to(sink, Produced.with(Serdes.String(), Serdes.ByteArray()));
    DedupFilterConfig config =
        new DedupFilterConfig(
            settings(bootstrap, "bench-copy-" + name, run.resolve("copy-" + name), threads));
    Properties props = DedupFilterService.streamsConfig(config);
    props.put(StreamsConfig.topicPrefix("cleanup.policy"), "delete");
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin
          .createTopics(
              List.of(
                  new org.apache.kafka.clients.admin.NewTopic(sink, 4, (short) 1)
                      .configs(
                          Map.of("max.message.bytes", String.valueOf(Topics.LARGE_MESSAGE_BYTES)))))
          .all()
          .get();
    }
    try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
      streams.start();
      while (copied.get() <= warmup) {
        Thread.sleep(5);
      }
      long started = System.nanoTime();
      while (copied.get() < warmup + count) {
        Thread.sleep(20);
      }
      return (System.nanoTime() - started) / 1e9;
    }
  }
}
