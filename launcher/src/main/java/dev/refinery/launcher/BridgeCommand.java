package dev.refinery.launcher;

import dev.refinery.bridge.BatchReader;
import dev.refinery.bridge.BatchSummary;
import dev.refinery.bridge.BridgeConfig;
import dev.refinery.bridge.BridgeServer;
import dev.refinery.bridge.ReceivedBatch;
import dev.refinery.tokenizer.BatchText;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "bridge",
    mixinStandardHelpOptions = true,
    description = "The trainer-bridge.",
    subcommands = {
      BridgeCommand.Serve.class,
      BridgeCommand.Lineage.class,
      BridgeCommand.Tail.class
    })
final class BridgeCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "tail",
      mixinStandardHelpOptions = true,
      description = "Print token batches as they are committed, a line each (read_committed).")
  static final class Tail implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--stream",
        split = ",",
        paramLabel = "STREAM",
        description = "Streams to read (default: those of the declared sources, or main).")
    List<String> streams;

    @Option(
        names = "--from-beginning",
        description = "Start at the first batch, not at the newest.")
    boolean fromBeginning;

    @Option(
        names = "--decode",
        paramLabel = "CHARS",
        arity = "0..1",
        fallbackValue = "300",
        description =
            "Also print the first sequence of each batch as text, up to CHARS characters (default 300).")
    Integer decode;

    @Option(names = "--max", paramLabel = "N", description = "Stop after N batches.")
    Long max;

    @Option(
        names = "--idle-exit",
        paramLabel = "SECONDS",
        description = "Stop when no batch has come for this long (default: follow until Ctrl-C).")
    Long idleExit;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      Settings settings = global.load();
      if (streams != null) {
        settings = settings.with(Map.of(BridgeConfig.STREAMS, String.join(",", streams)));
      }
      BridgeConfig config = settings.bridge();
      long seen = 0;
      long lastBatch = System.nanoTime();
      try (BatchReader reader =
          new BatchReader(
              config, fromBeginning ? BatchReader.Start.BEGINNING : BatchReader.Start.END)) {
        out.printf("tailing %s on %s%n", config.streams(), config.bootstrapServers());
        out.flush();
        while (max == null || seen < max) {
          List<ReceivedBatch> batches = reader.poll(Duration.ofMillis(500));
          for (ReceivedBatch received : batches) {
            out.println(BatchSummary.line(received));
            if (decode != null && received.ok()) {
              out.println("    " + BatchText.firstSequence(received.batch(), decode));
            }
            seen++;
            lastBatch = System.nanoTime();
            if (max != null && seen >= max) {
              break;
            }
          }
          out.flush();
          if (idleExit != null
              && System.nanoTime() - lastBatch > Duration.ofSeconds(idleExit).toNanos()) {
            break;
          }
        }
      }
      return 0;
    }
  }

  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = {
        "Serve token batches to this node's training ranks, until Ctrl-C.",
        "Ranks connect over loopback TCP (bridge.port) or a Unix domain socket (bridge.socket)",
        "with refinery_bridge (Python) or BridgeClient (Java)."
      })
  static final class Serve implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      Settings settings = global.load();
      BridgeServer server = Launch.bridge(settings, out);
      return UntilStopped.serve(out, "refinery-bridge", server::close);
    }
  }

  @Command(
      name = "lineage",
      mixinStandardHelpOptions = true,
      description = {
        "What a run trained on: documents, sources, licences, takedowns.",
        "Up to a step: batches, documents, sources and licences, and which steps hold a",
        "document under takedown (from the run's checkpoints and the batches' spans)."
      })
  static final class Lineage implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--run", required = true, paramLabel = "RUN", description = "The run id.")
    String run;

    @Option(
        names = "--step",
        paramLabel = "S",
        description = "Report steps 0..S-1 (default: up to the run's newest checkpoint).")
    Long step;

    @Option(names = "--documents", description = "Also list every document id, one a line.")
    boolean documents;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      dev.refinery.bridge.Lineage.Report report =
          dev.refinery.bridge.Lineage.of(
              global.load().bridge(),
              run,
              step == null ? -1 : step,
              line -> {
                err.println(line);
                err.flush();
              });
      out.print(dev.refinery.bridge.Lineage.format(report, documents));
      out.flush();
      return report.takedownHits().isEmpty() ? 0 : 1;
    }
  }
}
