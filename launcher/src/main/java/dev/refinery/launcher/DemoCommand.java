package dev.refinery.launcher;

import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.IngestReport;
import dev.refinery.ingest.Ingestor;
import dev.refinery.ingest.InputFiles;
import dev.refinery.ingest.SourceDeclaration;
import dev.refinery.ingest.SourceRegistry;
import dev.refinery.runtime.audit.PipelineAudit;
import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Licences;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.TakedownScope;
import dev.refinery.tokenizer.BatchText;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Start the pipeline on a fresh embedded broker, ingest a demo corpus, wait until every",
      "document is tokenized or rejected, print a summary, and exit."
    })
final class DemoCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--input",
      paramLabel = "PATH",
      description =
          "Ingest these JSONL/JSONL.gz files (or folders) instead of the generated demo corpus.")
  List<Path> input;

  @Option(
      names = "--source",
      paramLabel = "NAME",
      defaultValue = "local-input",
      description =
          "Source of the --input files: declared in --config, or else public_web with licence "
              + "NOASSERTION (default: ${DEFAULT-VALUE}).")
  String source;

  @Option(
      names = "--seed",
      defaultValue = "2026",
      description = "Seed of the generated corpus (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "180",
      description = "Give up waiting for the pipeline after this long (default: ${DEFAULT-VALUE}).")
  long timeout;

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    PrintWriter out = spec.commandLine().getOut();
    if (global.workDir.toString().equals(".refinery")) {
      global.workDir = Path.of(".refinery", "demo");
    }
    deleteRecursively(global.workDir);
    Map<String, String> demo = new HashMap<>(input == null ? DemoCorpus.SOURCES : Map.of());
    // a fresh broker on any free port, and a pipeline tuned to drain a small corpus quickly
    demo.put("broker.port", "0");
    demo.put("tokenizer.flush.idle.ms", "200");
    demo.put("tokenizer.checkpoint.interval.ms", "250");
    // the demo serves no /metrics (it prints its own summary); a short hold drains it sooner
    demo.put("dedup.http.port", "-1");
    demo.put("tokenizer.metrics.port", "-1");
    demo.put("dedup.hold.ms", "500");
    // two stream threads screen the burst of a small corpus on both cores (0.5 s sooner on two)
    demo.put("dedup.stream.threads", "2");
    // the demo's broker shares this machine's cores and keeps its data for seconds: LZ4 there saves
    // no network, and costs dedup-filter's producers two fresh 64 KB buffers a batch and the broker
    // a decompression to validate it (two runs took 27.4 and 26.6 CPU seconds and drained 5.1 and
    // 4.7 s after ingest; with LZ4, taking turns with them, 29.6 and 29.6, 6.2 and 6.6 s; 2 cores)
    demo.put("kafka.streams.producer.compression.type", "none");
    Settings settings = global.load();
    if (input != null && !hasSource(settings, source)) {
      demo.put("sources." + source + ".kind", "public_web");
      demo.put("sources." + source + ".licence", "NOASSERTION");
    }
    settings = settings.withDefaults(demo);
    out.printf("Refinery demo in %s%n", settings.workDir().toAbsolutePath());
    out.flush();

    try (Pipeline pipeline = Pipeline.start(settings, global.embedded(), out)) {
      if (input == null) {
        // a publisher asked for its pages under one path to be removed: they are rejected as
        // TAKEDOWN
        Takedown takedown =
            Takedown.newBuilder()
                .setScope(TakedownScope.URL_PREFIX)
                .setValue(DemoCorpus.TAKEN_DOWN)
                .setReason("demo: the publisher withdrew these pages")
                .setRequestedBy("legal@news.example.org")
                .setRequestedAt(java.time.Instant.now())
                .build();
        Takedowns.publish(pipeline.settings().kafka(), takedown);
        pipeline.dedup().awaitTakedown(Takedowns.key(takedown), java.time.Duration.ofSeconds(30));
        out.printf("Takedown published: every page under %s%n", DemoCorpus.TAKEN_DOWN);
      }
      List<Ingestor.Input> inputs = inputs(pipeline.settings());
      out.println();
      List<IngestReport> reports;
      try (Ingestor ingestor =
          Ingestor.create(
              pipeline.settings().ingest(), "refinery-ingest-demo", IngestMetrics.inMemory())) {
        reports = IngestTable.ingestAll(ingestor, inputs, out, spec.commandLine().getErr());
      }
      long ingested = System.nanoTime();
      Drained drained = awaitDrained(pipeline, out, t0);
      PipelineAudit account = drained.account();
      out.printf(
          "drained %.1f s after ingest ended (checked every 0.2 s)%n",
          (drained.at() - ingested) / 1e9);
      print(account, IngestReport.sum("total", reports), out);
      List<String> violations = account.violations();
      PipelineAudit.ImageAccount images = account.images();
      boolean documentsOk = account.drained() && violations.isEmpty();
      boolean imagesOk = images.violations().isEmpty() && images.inFlight() == 0;
      boolean ok = documentsOk && imagesOk;
      out.printf(
          "%nInvariant 1 (each document in exactly one place): %d of %d documents ingested are in token "
              + "spans or rejected once%s%n",
          account.accountedFor(), account.documents().size(), documentsOk ? " ✓" : " ✗");
      violations.stream().limit(10).forEach(v -> out.println("  violation: " + v));
      if (images.images() > 0) {
        out.printf(
            "Invariant 1 for images: %d of %d images of those documents are in token batches or "
                + "rejected once%s%n",
            images.images() - images.inFlight() - images.violations().size(),
            images.images(),
            imagesOk ? " ✓" : " ✗");
        images.violations().stream().limit(10).forEach(v -> out.println("  violation: " + v));
      }
      out.printf("%nDemo %s in %.1f s.%n", ok ? "done" : "FAILED", Pipeline.seconds(t0));
      out.flush();
      return ok ? 0 : Refinery.REJECTED;
    }
  }

  private List<Ingestor.Input> inputs(Settings settings) throws IOException {
    SourceRegistry registry = settings.sources();
    List<Ingestor.Input> inputs = new ArrayList<>();
    if (input == null) {
      for (DemoCorpus.DemoFile f :
          new DemoCorpus(seed).write(settings.workDir().resolve("corpus"))) {
        inputs.add(Ingestor.Input.of(f.path(), registry.get(f.source())));
      }
      return inputs;
    }
    SourceDeclaration declared = registry.get(source);
    for (InputFiles.Listed file : InputFiles.expand(input, false)) {
      inputs.add(new Ingestor.Input(file.path(), declared, null, file.label()));
    }
    return inputs;
  }

  /**
   * The audit once the pipeline has drained (or the wait timed out), and when it saw that ({@link
   * System#nanoTime}): before its consumer closed, which takes a while of its own.
   */
  private record Drained(PipelineAudit account, long at) {}

  private Drained awaitDrained(Pipeline pipeline, PrintWriter out, long t0)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout * 1_000_000_000L;
    boolean terminal = System.console() != null;
    long lastPrinted = -1;
    // one consumer follows the topics: each check reads what came since the last one
    try (PipelineAudit.Follower audit =
        new PipelineAudit.Follower(pipeline.settings().kafka(), pipeline.settings().streams())) {
      while (true) {
        PipelineAudit account = audit.read();
        long done = account.accountedFor();
        if (done != lastPrinted || terminal) {
          out.printf(
              terminal
                  ? "\rpipeline: %d of %d documents tokenized or rejected [%.1f s]"
                  : "pipeline: %d of %d documents tokenized or rejected [%.1f s]%n",
              done,
              account.documents().size(),
              Pipeline.seconds(t0));
          out.flush();
          lastPrinted = done;
        }
        if ((account.drained() && !account.documents().isEmpty()) || System.nanoTime() > deadline) {
          long at = System.nanoTime();
          if (terminal) {
            out.println();
          }
          if (!account.drained()) {
            out.printf(
                "gave up after %d s: %d documents still in flight, e.g.%n",
                timeout, account.documents().size() - account.accountedFor());
            account.inFlight().stream().limit(5).forEach(d -> out.println("  " + d));
          }
          return new Drained(account, at);
        }
        Thread.sleep(200);
      }
    }
  }

  private static void print(PipelineAudit account, IngestReport ingest, PrintWriter out) {
    out.printf("%nSummary%n");
    printStages(account, ingest, out);
    printStreams(account, out);
    printSources(account, out);
    printFirstSequence(account, out);
  }

  private static void printStages(PipelineAudit account, IngestReport ingest, PrintWriter out) {
    out.printf(
        "  ingest        %6d records read, %d documents to corpus.raw.v1, %d rejected%s%n",
        ingest.records(),
        ingest.documents(),
        ingest.rejectedTotal(),
        ingest.rejectedTotal() == 0 ? "" : ": " + IngestTable.counts(ingest.rejected()));
    Map<String, Long> dedup = account.rejectedBy(Stage.DEDUP_FILTER);
    out.printf(
        "  dedup-filter  %6d documents in, %d clean, %d rejected%s%n",
        account.documents().size(),
        account.clean(),
        dedup.values().stream().mapToLong(Long::longValue).sum(),
        dedup.isEmpty() ? "" : ": " + IngestTable.counts(dedup));
    Map<String, Long> tokenizer = account.rejectedBy(Stage.TOKENIZER);
    if (!tokenizer.isEmpty()) {
      out.printf("  tokenizer     rejected: %s%n", IngestTable.counts(tokenizer));
    }
    PipelineAudit.ImageAccount images = account.images();
    if (ingest.images() > 0 || !ingest.imagesRejected().isEmpty()) {
      long refused = images.refused().values().stream().mapToLong(Long::longValue).sum();
      out.printf(
          "  images        %6d in documents, %d refused at ingest%s; dedup-filter refused %d%s;"
              + " %d with rejected documents; %d delivered in token batches%n",
          ingest.images(),
          ingest.imagesRejected().values().stream().mapToLong(Long::longValue).sum(),
          ingest.imagesRejected().isEmpty()
              ? ""
              : " (" + IngestTable.counts(ingest.imagesRejected()) + ")",
          refused,
          refused == 0 ? "" : " (" + IngestTable.counts(images.refused()) + ")",
          images.withTheirDocument(),
          images.delivered());
    }
  }

  /** Batches, sequences, positions, document tokens, documents and padding per stream. */
  private static void printStreams(PipelineAudit account, PrintWriter out) {
    out.printf(
        "%n  %-8s %8s %10s %12s %12s %8s %9s%n",
        "stream", "batches", "sequences", "positions", "doc tokens", "docs", "padding");
    for (var stream : account.batches().entrySet()) {
      long sequences = 0;
      long positions = 0;
      long tokens = 0;
      long padding = 0;
      Set<String> docs = new HashSet<>();
      for (PipelineAudit.Batch b : stream.getValue()) {
        sequences += b.sequences();
        positions += (long) b.sequences() * b.rowWidth();
        padding += b.padding();
        for (DocumentSpan s : b.spans()) {
          tokens += s.getLength();
          docs.add(s.getDocId());
        }
      }
      out.printf(
          "  %-8s %8d %10d %12d %12d %8d %8.1f%%%n",
          stream.getKey(),
          stream.getValue().size(),
          sequences,
          positions,
          tokens,
          docs.size(),
          positions == 0 ? 0 : 100.0 * padding / positions);
    }
  }

  /** A source as the summary lists it. */
  private record SourceRow(String name, String kind, String licence) {}

  /** Documents and tokens per source, kind and licence, from the batches' spans. */
  private static void printSources(PipelineAudit account, PrintWriter out) {
    Map<SourceRow, Set<String>> docs = new TreeMap<>(Comparator.comparing(SourceRow::name));
    Map<SourceRow, Long> tokens = new HashMap<>();
    account
        .batches()
        .values()
        .forEach(
            batches ->
                batches.forEach(
                    b ->
                        b.spans()
                            .forEach(
                                s -> {
                                  SourceRow row =
                                      new SourceRow(
                                          s.getSource().getName(),
                                          s.getSource().getKind().name().toLowerCase(Locale.ROOT),
                                          Licences.label(s.getSource().getLicence()));
                                  docs.computeIfAbsent(row, k -> new HashSet<>()).add(s.getDocId());
                                  tokens.merge(row, (long) s.getLength(), Long::sum);
                                })));
    out.printf("%n  %-11s %-11s %-44s %6s %10s%n", "source", "kind", "licence", "docs", "tokens");
    docs.forEach(
        (row, ids) ->
            out.printf(
                "  %-11s %-11s %-44s %6d %10d%n",
                row.name(),
                row.kind(),
                row.licence().length() <= 44 ? row.licence() : row.licence().substring(0, 43) + "…",
                ids.size(),
                tokens.get(row)));
  }

  /** The first sequence of the stream with the most batches, decoded, and its first document. */
  private static void printFirstSequence(PipelineAudit account, PrintWriter out) {
    account.batches().entrySet().stream()
        .max(Comparator.comparingInt(e -> e.getValue().size()))
        .flatMap(e -> account.firstBatch(e.getKey()))
        .ifPresent(
            first -> {
              out.printf(
                  "%nFirst sequence of %s (batch %s, %d tokens), decoded:%n",
                  "tokens." + first.getStream() + ".v1", first.getBatchId(), first.getSeqLen());
              out.println("  " + BatchText.firstSequence(first, 700));
              DocumentSpan span = first.getSpans().get(0);
              PipelineAudit.RawDocument doc = account.documents().get(span.getDocId());
              out.printf(
                  "  (its first span: document %s of %s, %s, tokens %d-%d of %d)%n",
                  span.getDocId(),
                  span.getSource().getName(),
                  doc != null && doc.url() != null ? doc.url() : "no url",
                  span.getDocOffset(),
                  span.getDocOffset() + span.getLength(),
                  span.getDocTokens());
            });
  }

  private static boolean hasSource(Settings settings, String name) {
    return settings.sources().all().stream().anyMatch(d -> d.name().equals(name));
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
