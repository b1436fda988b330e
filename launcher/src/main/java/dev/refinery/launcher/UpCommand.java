package dev.refinery.launcher;

import dev.refinery.dedup.DedupFilterConfig;
import dev.refinery.feedback.FeedbackConfig;
import dev.refinery.runtime.service.Services;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Run the embedded broker and every stage in this process until Ctrl-C: dedup-filter, the",
      "tokenizer, the ingest service (HTTP push, /metrics, /health; with --watch, a folder) and",
      "the trainer-bridge (ranks connect on loopback TCP or a Unix socket) and the feedback",
      "gateway (labels and RBRM judgements into reward-model pairs) and the console (the ops",
      "dashboard on http://localhost:8476/)."
    })
final class UpCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--watch",
      paramLabel = "DIR",
      description = "Also ingest files landing in DIR/<source>/.")
  Path watch;

  /**
   * RocksDB's memory outside the heap under {@code up} where the settings give none: one budget
   * that dedup-filter and the feedback gateway share (budgets of one size are one in a process). A
   * stage's own default, 0, leaves each store of each task Kafka Streams' cache of 50 MB and
   * memtables of 16 MB, and the files' filters and indexes outside any cache: under {@code up},
   * which runs for days on a workstation beside the broker, Flink and the other services, that grew
   * with the state without a bound (517 MB after 100,000 documents, {@code bench/run dedup --docs
   * 100000}). 256 MiB is the least for 64 dedup-filter stores ({@link
   * dev.refinery.runtime.streams.RocksDbBudget#least}), more than twelve partitions of {@code
   * corpus.raw.v1}; the catalog gives it 4.
   */
  static final long LOCAL_ROCKSDB_BYTES = 256L << 20;

  /** The settings {@code up} runs with: the loaded ones, over {@code up}'s own defaults. */
  static Settings local(Settings loaded) {
    String budget = String.valueOf(LOCAL_ROCKSDB_BYTES);
    return loaded.withDefaults(
        Map.of(
            DedupFilterConfig.ROCKSDB_MEMORY_BYTES,
            budget,
            FeedbackConfig.ROCKSDB_MEMORY_BYTES,
            budget));
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Settings settings = local(global.load());
    Services services = new Services();
    Pipeline pipeline = services.start(() -> Pipeline.start(settings, global.embedded(), out));
    Settings running = pipeline.settings();
    Launch.IngestService ingest = services.start(() -> Launch.ingest(running, watch, out));
    services.start(() -> Launch.bridge(running, out));
    services.start(() -> Launch.feedback(running, out));
    services.start(() -> Launch.console(running, out));
    String kafka = pipeline.bootstrapServers();
    out.printf("%nRefinery is up. Kafka: %s%n", kafka);
    out.printf("  token streams: %s%n", String.join(", ", pipeline.settings().streams()));
    out.printf(
        "  ingest:  ./refinery ingest --bootstrap-servers %s --source NAME FILE...%n", kafka);
    out.printf(
        "  push:    curl -H \"Authorization: Bearer $(cat %s)\" -H 'Content-Type: application/x-ndjson'"
            + " --data-binary @docs.jsonl http://127.0.0.1:%d/v1/sources/NAME/documents%n",
        running.localToken("ingest"), ingest.port());
    if (watch != null) {
      out.printf(
          "  drop:    files into %s/NAME/ (write as .tmp, then rename)%n", watch.toAbsolutePath());
    }
    out.printf(
        "  watch:   ./refinery bridge tail --bootstrap-servers %s --stream %s%n",
        kafka, pipeline.settings().streams().get(0));
    out.printf(
        "  takedown: ./refinery takedown --bootstrap-servers %s --url-prefix URL --reason TEXT%n",
        kafka);
    out.printf(
        "  metrics: http://127.0.0.1:%d/metrics (ingest)   http://127.0.0.1:%d/metrics (dedup-filter)%n",
        ingest.port(), pipeline.dedup().httpPort());
    out.printf(
        "  health:  http://127.0.0.1:%d/health   http://127.0.0.1:%d/health%n",
        ingest.port(), pipeline.dedup().httpPort());
    if (pipeline.settings().tokenizer().metricsPort() > 0) {
      out.printf(
          "  tokenizer metrics: http://127.0.0.1:%d/metrics (Flink, per stream)%n",
          pipeline.settings().tokenizer().metricsPort());
    }
    out.println(
        "Ctrl-C stops; state is kept in "
            + settings.workDir()
            + " and the next 'up' resumes from it.");
    out.flush();
    UntilStopped.await("refinery", services::close);
    return 0;
  }
}
