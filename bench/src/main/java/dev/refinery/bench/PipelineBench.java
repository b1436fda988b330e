package dev.refinery.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.dedup.DedupFilterConfig;
import dev.refinery.dedup.DedupFilterService;
import dev.refinery.dedup.MinHasher;
import dev.refinery.dedup.TextFingerprint;
import dev.refinery.dedup.rules.RuleSet;
import dev.refinery.dedup.rules.Screened;
import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.infra.TopicProvisioner;
import dev.refinery.infra.text.SyntheticText;
import dev.refinery.ingest.IngestConfig;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.IngestReport;
import dev.refinery.ingest.Ingestor;
import dev.refinery.ingest.SourceDeclaration;
import dev.refinery.runtime.audit.PipelineAudit;
import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicReader;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.Topics;
import dev.refinery.tokenizer.Tokenizer;
import dev.refinery.tokenizer.TokenizerConfig;
import dev.refinery.tokenizer.TokenizerJob;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The whole pipeline on the embedded broker, end to end: a deterministic web-like corpus (3 to 8
 * paragraphs a document, 8 % exact and 8 % near copies, 4 % junk) is ingested from a JSONL file
 * with dedup-filter (rules on) and the tokenizer running, and the run prints, in one go: MB/s and
 * documents/s end to end and per stage, the latency of a document from ingest to its token batch
 * (p50, p99; to the batch written, and to the batch readable by a trainer, once the tokenizer's
 * checkpoint has committed it), and the compute limit: the same documents through the stages' pure
 * functions (rules with language ID, dedup keys, tokenizing) in one thread, without Kafka. The
 * ratio of the two is how much of its parts' speed the pipeline keeps. The tokenizer's row spans
 * its first to its last token batch of the measured documents; the last line gives the MB each
 * stage decides or tokenizes a CPU second of its threads, what it costs whatever it waited for.
 *
 * <p>Then it checks invariant 3 ({@code --check-kept}, on unless {@code false}): the documents the
 * pipeline tokenized must be those {@link OnePass} keeps, dedup-filter's topology fed every
 * document the measured instance read in (event time, id) order with no hold, so that each copy
 * meets its smaller one first. The corpus is written in 2 s and read over 8 to 17, so its copies
 * meet only if the hold waits on every partition being read past them; a change that let copies
 * through showed here only as a few more documents tokenized (stop 40).
 *
 * <p>With {@code --rate MB/s} the corpus comes as a steady load instead, a slice every quarter of a
 * second, and the latency is that of a pipeline keeping up (or not) with that load.
 *
 * <p>The figures are the steady state of a running pipeline, warmed twice. Broker, Streams, Flink
 * and the stages in one JVM are a lot of code for HotSpot's one C2 compiler thread on two cores:
 * after one warm-up of 64 MB, C2 ran 40 to 55 s behind the code the warm-up made hot and took 0.40
 * to 0.49 of a core through the measured corpus (see {@link JitQuiet}). So {@code --jit-warmups}
 * corpora (2) of {@code --warmup-mb} of documents each (64 MB; 0 for none) first go through an
 * instance of dedup-filter of its own, for the JIT (with one, C2 still took 0.28 to 0.32 of a core
 * through the measured corpus, its first compiles of hot Kafka client and broker code; with two,
 * 0.11 to 0.21); then the measured instance, which starts at the end of {@code corpus.raw.v1},
 * takes as much again of other documents into its store, so that its store holds what a pipeline
 * after one warm-up would (a longer warm-up through one instance saved the JIT's share and lost as
 * much to the larger store); each time the pipeline drains and the compilers go quiet before the
 * next part. Where the cores went while the measured corpus ran is printed ({@link CpuSplit}).
 * dedup-filter runs a stream thread a core ({@code --dedup-threads}, at most one a partition of
 * {@code corpus.raw.v1}), as a stage alone on the machine would be set up. The compute limit is
 * measured warm too (passes until 5 s have gone, then the best of three), just before the measured
 * corpus is ingested and just after the pipeline drained it, and the ratio is against the faster:
 * this machine's speed swings by a third over minutes (a limit of 9.4 MB/s in one run, 14.7 in
 * another, the same day; 12.1 before a measured corpus and 10.7 after it, 40 s later), and a limit
 * taken two minutes earlier compared the pipeline with another machine than the one it ran on. The
 * limit measured at the start, in a JVM that runs nothing else yet, is printed too, with the ratio
 * against it.
 *
 * <pre>
 * bench/run pipeline [--mb 8] [--warmup-mb 64] [--jit-warmups 2] [--rate MB/s] [--dedup-threads CORES]
 *                    [--check-kept true] [--dedup.<setting> V] [--kafka.<setting> V]
 *                    [--tokenizer.<setting> V]
 * </pre>
 */
public final class PipelineBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where the limit's results go, so the JIT cannot drop the work. */
  static volatile long blackhole;

  private PipelineBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    Path work = Path.of(options.getOrDefault("work-dir", ".refinery/bench"));
    double targetMb = Double.parseDouble(options.getOrDefault("mb", "8"));
    // MB/s of a steady load (0: the whole corpus at once, as fast as ingest goes)
    double rate = Double.parseDouble(options.getOrDefault("rate", "0"));
    // whether what the pipeline kept is checked against one pass that sees every smaller
    // document first (OnePass): 3 to 4 minutes for 64 MB on two cores
    boolean checkKept = Boolean.parseBoolean(options.getOrDefault("check-kept", "true"));
    double warmupMb = Double.parseDouble(options.getOrDefault("warmup-mb", "64"));
    Path run = work.resolve("pipeline-" + System.nanoTime());
    Files.createDirectories(run);
    Path corpus = run.resolve("corpus.jsonl");
    List<String> texts = corpus(corpus, (long) (targetMb * 1e6), 11, "web-");
    // the JIT's warm-up: jit-warmups corpora of warmup-mb each, other documents every time
    int jitWarmups = warmupMb > 0 ? Integer.parseInt(options.getOrDefault("jit-warmups", "2")) : 0;
    List<Path> warmups = new ArrayList<>();
    List<Integer> warmupCounts = new ArrayList<>();
    for (int i = 0; i < jitWarmups; i++) {
      Path warmup = run.resolve("warmup-" + i + ".jsonl");
      warmups.add(warmup);
      warmupCounts.add(
          corpus(
                  warmup,
                  (long) (warmupMb * 1e6),
                  13 + 100L * i,
                  i == 0 ? "warm-" : "warm" + i + "-")
              .size());
    }
    int warmupDocs = warmupCounts.stream().mapToInt(Integer::intValue).sum();
    // the warm-up of the measured instance's store, after the JIT's (see below)
    Path warmupStore = run.resolve("warmup-store.jsonl");
    int warmupStoreDocs =
        warmupDocs > 0 ? corpus(warmupStore, (long) (warmupMb * 1e6), 17, "warm-store-").size() : 0;
    long corpusBytes = Files.size(corpus);
    System.out.printf(
        Locale.ROOT,
        "corpus: %,d documents, %.1f MB of JSONL (8 %% exact copies, 8 %% near copies, 4 %% junk)%n",
        texts.size(),
        corpusBytes / 1e6);

    // the compute limit, measured three times: here, in a JVM that runs nothing else yet; and
    // just before the measured corpus and just after the pipeline drained it, the ratio's
    double limitAtStart = computeLimit(texts);
    double limitBefore;
    double limitAfter;
    EmbeddedKafka kafka = EmbeddedKafka.startEphemeral(run.resolve("kafka"));
    String bootstrap = kafka.bootstrapServers();
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<dev.refinery.schemas.TopicBinding<?, ?>> topics = new ArrayList<>(Topics.fixed());
      topics.add(Topics.tokens("web"));
      new TopicProvisioner(admin).provision(topics);
    }
    KafkaClients clients = KafkaClients.of(bootstrap);
    Map<String, Object> dedupSettings =
        DedupBench.withStageOptions(
            DedupBench.settings(
                bootstrap,
                "bench-pipeline",
                run.resolve("streams"),
                Integer.parseInt(
                    options.getOrDefault("dedup-threads", String.valueOf(defaultDedupThreads())))),
            options);
    Map<String, Object> jitSettings = new HashMap<>(dedupSettings);
    jitSettings.putAll(
        DedupBench.settings(
            bootstrap,
            "bench-pipeline-jit",
            run.resolve("streams-jit"),
            Integer.parseInt(String.valueOf(dedupSettings.get(DedupFilterConfig.STREAM_THREADS)))));
    DedupBench.printStageOptions(options);
    Map<String, Object> tokenizerSettings =
        new HashMap<>(
            Map.of(
                "bootstrap.servers",
                bootstrap,
                TokenizerConfig.STREAMS,
                "web",
                TokenizerConfig.METRICS_PORT,
                "-1",
                // a batch is readable at the checkpoint after it is written, and a partial one is
                // written once the stream has been idle this long: after a backlog's last decision
                // the run waited 1.8 and 3.3 s for them at 2 s and 1 s, 0.9 s at these; the
                // tokenizer's threads took 2.0 and 1.5 CPU seconds, against 1.3 and 1.7; at a
                // steady 2 MB/s a document was readable p99 3.02 s after ingest, against 4.55 s
                TokenizerConfig.CHECKPOINT_INTERVAL_MS,
                "500",
                TokenizerConfig.FLUSH_IDLE_MS,
                "250",
                TokenizerConfig.CHECKPOINT_DIR,
                run.resolve("checkpoints").toString()));
    // --tokenizer.<setting> V, to measure a setting's effect (its checkpoint interval)
    tokenizerSettings.putAll(Options.under(options, "tokenizer."));
    Options.printUnder(options, "tokenizer.");
    TokenizerConfig tokenizerConfig = new TokenizerConfig(tokenizerSettings);
    IngestConfig ingestConfig = new IngestConfig(Map.of("bootstrap.servers", bootstrap));
    SourceDeclaration source =
        new SourceDeclaration("bench-web", SourceKind.PUBLIC_WEB, "CC-BY-4.0", null, null, "web");
    double ingestSeconds;
    double dedupSeconds;
    double endToEnd;
    IngestReport report;
    // CPU seconds of dedup-filter's threads and of the tokenizer's over the measured corpus
    double dedupCpu;
    double tokenizerCpu;
    PipelineAudit.Follower audit = null;
    // when each measured document's tokens became readable by a trainer (committed)
    TokenVisibility visible = null;
    long measuredFrom;
    JobClient tokenizer = TokenizerJob.onKafka(tokenizerConfig).startLocal();
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      // one consumer follows the topics: each check reads what came since the last one
      audit = new PipelineAudit.Follower(clients, List.of("web"));
      if (warmupDocs > 0) {
        // the JIT's warm-up, through an instance of dedup-filter of its own: the measured one's
        // store is then what it would have been after one warm-up (below), while the JIT has
        // compiled for two (see JitQuiet)
        long w0 = System.nanoTime();
        try (DedupFilterService jit =
            DedupFilterService.start(new DedupFilterConfig(jitSettings))) {
          jit.awaitRunning(Duration.ofSeconds(60));
          long sent = 0;
          for (int i = 0; i < warmups.size(); i++) {
            try (Ingestor ingestor =
                Ingestor.create(ingestConfig, "bench-pipeline-warmup", IngestMetrics.inMemory())) {
              ingestor.ingest(warmups.get(i), source);
            }
            sent += warmupCounts.get(i);
            while (decided(jit) < sent || !audit.read().drained()) {
              Thread.sleep(200);
            }
          }
        }
        System.out.printf(
            Locale.ROOT,
            "warm-up: %,d documents (%d × %.1f MB) through the pipeline in %.1f s (not counted)%n",
            warmupDocs,
            warmups.size(),
            warmupMb,
            (System.nanoTime() - w0) / 1e9);
        JitQuiet.await(120);
        // the measured instance starts at the end of corpus.raw.v1: the warm-up's documents went
        // through the first, and no document goes through the pipeline twice
        admin
            .alterConsumerGroupOffsets(
                (String) dedupSettings.get(DedupFilterConfig.APPLICATION_ID),
                DedupBench.endOffsets(admin))
            .all()
            .get();
      }
      try (DedupFilterService dedup =
          DedupFilterService.start(new DedupFilterConfig(dedupSettings))) {
        dedup.awaitRunning(Duration.ofSeconds(60));
        if (warmupDocs > 0) {
          // its store: as much again, other documents, so that it holds what a pipeline that ran
          // one warm-up holds
          long w1 = System.nanoTime();
          try (Ingestor ingestor =
              Ingestor.create(
                  ingestConfig, "bench-pipeline-warmup-store", IngestMetrics.inMemory())) {
            ingestor.ingest(warmupStore, source);
          }
          while (decided(dedup) < warmupStoreDocs || !audit.read().drained()) {
            Thread.sleep(200);
          }
          System.out.printf(
              Locale.ROOT,
              "warm-up of the measured instance's store: %,d other documents (%.1f MB) in %.1f s"
                  + " (not counted)%n",
              warmupStoreDocs,
              warmupMb,
              (System.nanoTime() - w1) / 1e9);
          JitQuiet.await(120);
        }
        limitBefore = computeLimit(texts);
        JitQuiet.await(30);
        long warmDecided = decided(dedup);
        long warmIn = dedup.metrics().documentsIn();
        visible = TokenVisibility.follow(clients, Topics.tokens("web"));
        measuredFrom = System.currentTimeMillis();
        CpuSplit cpu = CpuSplit.start();
        long t0 = System.nanoTime();
        try (Ingestor ingestor =
            Ingestor.create(ingestConfig, "bench-pipeline", IngestMetrics.inMemory())) {
          if (rate > 0) {
            // a steady load: a slice of the corpus every quarter of a second
            List<IngestReport> reports = new ArrayList<>();
            List<Path> slices = slices(corpus, rate * 1e6 / 4);
            for (int i = 0; i < slices.size(); i++) {
              long due = t0 + i * 250_000_000L;
              Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
              reports.add(ingestor.ingest(slices.get(i), source));
            }
            report = IngestReport.sum("total", reports);
          } else {
            report = ingestor.ingest(corpus, source);
          }
        }
        ingestSeconds = (System.nanoTime() - t0) / 1e9;
        long decidedAt = 0;
        long readAt = 0;
        long lastPrint = System.nanoTime();
        while (true) {
          long decided = decided(dedup) - warmDecided;
          if (readAt == 0 && dedup.metrics().documentsIn() - warmIn >= report.documents()) {
            readAt = System.nanoTime();
          }
          if (decidedAt == 0 && decided >= report.documents()) {
            decidedAt = System.nanoTime();
          }
          if (decidedAt != 0 && audit.read().drained()) {
            break;
          }
          if (System.nanoTime() - lastPrint > 5_000_000_000L) {
            System.out.printf("  dedup-filter %,d of %,d decided%n", decided, report.documents());
            lastPrint = System.nanoTime();
          }
          Thread.sleep(200);
        }
        dedupSeconds = (decidedAt - t0) / 1e9;
        endToEnd = (System.nanoTime() - t0) / 1e9;
        dedupCpu = cpu.seconds(CpuSplit.STREAM_THREADS) + cpu.seconds(CpuSplit.STREAM_PRODUCERS);
        tokenizerCpu = cpu.seconds(CpuSplit.TOKENIZING) + cpu.seconds(CpuSplit.TOKENIZER);
        cpu.print("");
        limitAfter = computeLimit(texts);
        // the run's tail: a backlog's answers wait until every partition is marked read to its end
        // (ReadMark), then the decisions come, and the tokenizer flushes after its idle time and
        // commits at its next checkpoint
        System.out.printf(
            Locale.ROOT,
            "dedup-filter read every document after %.1f s, decided them after %.1f s; the last"
                + " token batch came %.1f s after that%n",
            ((readAt == 0 ? decidedAt : readAt) - t0) / 1e9,
            dedupSeconds,
            endToEnd - dedupSeconds);
      }
    } finally {
      if (audit != null) {
        audit.close();
      }
      tokenizer.cancel().get();
      if (visible != null) {
        visible.close();
      }
    }

    // the latency of each document: ingested (ingested_at) to its last token batch (created_at);
    // the topics are read record by record, not held: a long warm-up leaves hundreds of MB on them
    Map<String, Long> ingestedAt = new HashMap<>();
    // what the measured instance read (its store's warm-up and the measured corpus), for the
    // check of what it kept
    List<OnePass.Raw> measuredRead = new ArrayList<>();
    TopicReader.readToEnd(
        clients,
        Topics.CORPUS_RAW,
        "bench-pipeline-latency",
        Duration.ofMinutes(2),
        r -> {
          Document d = Topics.CORPUS_RAW.deserialize(r.value());
          // the measured documents only, not the warm-up's
          boolean measured = d.getIngestedAt().toEpochMilli() >= measuredFrom;
          if (measured) {
            ingestedAt.put(d.getId(), d.getIngestedAt().toEpochMilli());
          }
          if (checkKept
              && (measured || String.valueOf(d.getNativeId()).startsWith("warm-store-"))) {
            measuredRead.add(OnePass.Raw.of(d, r.value(), r.timestamp()));
          }
        },
        n -> {});
    Map<String, Long> batchedAt = new HashMap<>();
    long[] tokens = {0};
    // the first and the last token batch that hold a measured document: the tokenizer's span
    long[] batchSpan = {Long.MAX_VALUE, Long.MIN_VALUE};
    TopicReader.readToEnd(
        clients,
        Topics.tokens("web"),
        "bench-pipeline-latency",
        Duration.ofMinutes(2),
        r -> {
          TokenBatch b = Topics.tokens("web").deserialize(r.value());
          for (DocumentSpan s : b.getSpans()) {
            if (ingestedAt.containsKey(s.getDocId())) {
              long at = b.getCreatedAt().toEpochMilli();
              batchedAt.merge(s.getDocId(), at, Math::max);
              tokens[0] += s.getLength();
              batchSpan[0] = Math.min(batchSpan[0], at);
              batchSpan[1] = Math.max(batchSpan[1], at);
            }
          }
        },
        n -> {});
    List<Long> latencies = new ArrayList<>();
    List<Long> readable = new ArrayList<>();
    TokenVisibility seen = visible;
    batchedAt.forEach(
        (id, at) -> {
          Long in = ingestedAt.get(id);
          if (in != null) {
            latencies.add(at - in);
            Long committed = seen.seenAt(id);
            if (committed != null) {
              readable.add(committed - in);
            }
          }
        });
    latencies.sort(Long::compare);
    readable.sort(Long::compare);
    kafka.close();
    // invariant 3: the pipeline kept what one pass that sees every smaller document first keeps
    Set<String> expected = new HashSet<>();
    if (checkKept) {
      Path onePass = OnePass.stateDir(run);
      OnePass.kept(measuredRead, dedupSettings, onePass)
          .forEach(
              id -> {
                if (ingestedAt.containsKey(id)) {
                  expected.add(id);
                }
              });
      measuredRead.clear();
      BenchKafka.deleteRecursively(onePass);
    }
    Set<String> copiesKept = new HashSet<>(batchedAt.keySet());
    copiesKept.removeAll(expected);
    Set<String> lost = new HashSet<>(expected);
    lost.removeAll(batchedAt.keySet());
    BenchKafka.deleteRecursively(run);

    double mb = corpusBytes / 1e6;
    int docs = texts.size();
    // the best of both, as each is the best of its passes: the functions' speed on this machine
    // near the measured corpus
    double limitSeconds = Math.min(limitBefore, limitAfter);
    System.out.printf(Locale.ROOT, "%n%-46s %10s %9s%n", "", "docs/s", "MB/s");
    if (rate > 0) {
      System.out.printf(
          Locale.ROOT, "a steady load of %.2f MB/s, ingested in slices every 0.25 s%n", rate);
    }
    row("ingest (file to corpus.raw.v1)", docs, mb, ingestSeconds);
    row("dedup-filter decided (from the first record)", docs, mb, dedupSeconds);
    if (batchSpan[1] > batchSpan[0]) {
      // the documents dedup-filter kept, over the span the tokenizer wrote their batches in
      row(
          "tokenizer (its first to its last token batch)",
          batchedAt.size(),
          mb * batchedAt.size() / docs,
          (batchSpan[1] - batchSpan[0]) / 1e3);
    }
    row("end to end (file to the last token batch)", docs, mb, endToEnd);
    row("compute limit (pure functions, one thread)", docs, mb, limitSeconds);
    System.out.printf(
        Locale.ROOT,
        "  (the best of %.2f MB/s just before the measured corpus and %.2f just after it;"
            + " %.2f at the start, before the broker and the stages: ratio %.3f against that)%n",
        mb / limitBefore,
        mb / limitAfter,
        mb / limitAtStart,
        limitAtStart / endToEnd);
    System.out.printf(
        Locale.ROOT, "%-46s %10.3f%n", "ratio end to end / compute limit", limitSeconds / endToEnd);
    System.out.printf(
        Locale.ROOT,
        "latency, ingest to token batch written (created_at): p50 %.2f s, p99 %.2f s (%,d documents tokenized, %,d tokens)%n",
        percentile(latencies, 0.50) / 1e3,
        percentile(latencies, 0.99) / 1e3,
        latencies.size(),
        tokens[0]);
    // a trainer reads a batch once the tokenizer's checkpoint has committed it
    System.out.printf(
        Locale.ROOT,
        "latency, ingest to token batch readable (committed): p50 %.2f s, p99 %.2f s (%,d documents"
            + " seen by a read_committed consumer)%n",
        percentile(readable, 0.50) / 1e3,
        percentile(readable, 0.99) / 1e3,
        readable.size());
    if (!checkKept) {
      System.out.println("kept: not checked (--check-kept false)");
    } else {
      System.out.printf(
          Locale.ROOT,
          copiesKept.isEmpty() && lost.isEmpty()
              ? "kept: the same %,d documents as one pass in (event time, id) order, every copy caught"
                  + " (dedup-filter's topology, no hold)%n"
              : "kept: NOT as one pass in (event time, id) order: it keeps %,d documents; the pipeline"
                  + " kept %,d of them rejected there (copies let through) and lost %,d%n",
          expected.size(),
          copiesKept.size(),
          lost.size());
    }
    // what each stage costs, whatever it waited for: MB of the corpus a CPU second of its threads
    // decides or tokenizes, next to the compute limit's MB a second on one thread
    System.out.printf(
        Locale.ROOT,
        "MB a CPU second: dedup-filter %.2f (its stream threads and their producers, %.1f s),"
            + " tokenizer %.2f (Flink, %.1f s); the compute limit %.2f%n",
        mb / dedupCpu,
        dedupCpu,
        mb / tokenizerCpu,
        tokenizerCpu,
        mb / limitSeconds);
    if (checkKept && (!copiesKept.isEmpty() || !lost.isEmpty())) {
      System.err.println(
          "bench/run pipeline: dedup-filter did not keep what one pass keeps (see \"kept:\"):"
              + " invariant 3 is broken");
      System.exit(1);
    }
  }

  private static void row(String what, int docs, double mb, double seconds) {
    System.out.printf(Locale.ROOT, "%-46s %10.0f %9.2f%n", what, docs / seconds, mb / seconds);
  }

  private static long percentile(List<Long> sorted, double p) {
    return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, p * sorted.size()));
  }

  private static long decided(DedupFilterService service) {
    var m = service.metrics();
    return m.documentsClean()
        + m.rejectedByReason().values().stream().mapToLong(Long::longValue).sum()
        + m.replaysDropped();
  }

  /** The corpus cut into files of about {@code bytes} each, at line ends, in order. */
  static List<Path> slices(Path corpus, double bytes) throws Exception {
    List<Path> slices = new ArrayList<>();
    List<String> lines = Files.readAllLines(corpus, StandardCharsets.UTF_8);
    StringBuilder slice = new StringBuilder();
    for (int i = 0; i < lines.size(); i++) {
      slice.append(lines.get(i)).append('\n');
      if (slice.length() >= bytes || i == lines.size() - 1) {
        Path file =
            corpus.resolveSibling(String.format(Locale.ROOT, "slice-%06d.jsonl", slices.size()));
        Files.writeString(file, slice, StandardCharsets.UTF_8);
        slices.add(file);
        slice.setLength(0);
      }
    }
    return slices;
  }

  /** Writes the corpus; returns the texts, in order. */
  static List<String> corpus(Path file, long targetBytes, long seed, String idPrefix)
      throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    SyntheticText prose = new SyntheticText(seed);
    List<String> texts = new ArrayList<>();
    List<String> originals = new ArrayList<>();
    long bytes = 0;
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 0; bytes < targetBytes; i++) {
        int kind = random.nextInt(100);
        String text;
        if (kind < 8 && !originals.isEmpty()) {
          text = originals.get(random.nextInt(originals.size()));
        } else if (kind < 16 && !originals.isEmpty()) {
          text =
              originals
                  .get(random.nextInt(originals.size()))
                  .replaceFirst("\\. ", ". " + prose.sentence() + " ");
        } else if (kind < 20) {
          // junk: menus, symbols, a few words
          text =
              random.nextBoolean()
                  ? "Home | About | Contact | Login | Cart (0) | $$$ ### >>> " + i
                  : prose.sentence();
        } else {
          text = prose.paragraphs(3 + random.nextInt(6), "\n\n");
          originals.add(text);
        }
        ObjectNode line = JSON.createObjectNode();
        line.put("id", idPrefix + i);
        line.put("url", "https://bench.example.org/" + (i % 997) + "/" + i);
        line.put("text", text);
        String json = JSON.writeValueAsString(line);
        out.write(json);
        out.write('\n');
        bytes += json.length() + 1;
        texts.add(text);
      }
    }
    return texts;
  }

  /** Seconds the stages' pure functions take over the texts, in one thread (second pass). */
  static double computeLimit(List<String> texts) {
    DedupFilterConfig config = new DedupFilterConfig(new HashMap<>());
    RuleSet rules = RuleSet.from(config);
    MinHasher minHasher =
        new MinHasher(config.ngram(), config.bands(), config.rows(), config.seed());
    Tokenizer tokenizer = Tokenizer.forName("cl100k_base");
    double seconds = Double.MAX_VALUE;
    long warmUntil = System.nanoTime() + 5_000_000_000L;
    for (int measured = 0; measured < 3; ) {
      long t0 = System.nanoTime();
      long sink = 0;
      for (String text : texts) {
        Screened s = new Screened(text, null, "bench-web");
        if (rules.screen(s, SourceKind.PUBLIC_WEB).isPresent()) {
          continue;
        }
        sink += TextFingerprint.of(s.text()).length();
        sink += minHasher.bandHashes(minHasher.signature(s.text())).length;
        sink += tokenizer.encode(s.text()).length;
      }
      if (t0 >= warmUntil) {
        seconds = Math.min(seconds, (System.nanoTime() - t0) / 1e9);
        measured++;
      }
      blackhole += sink;
    }
    return seconds;
  }

  /** A stream thread a core, at most one a partition of {@code corpus.raw.v1}. */
  static int defaultDedupThreads() {
    return Math.max(
        1, Math.min(Runtime.getRuntime().availableProcessors(), Topics.CORPUS_RAW.partitions()));
  }
}
