package dev.refinery.launcher;

import dev.refinery.ingest.FolderWatcher;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.Ingestor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    description = {
      "Ingest files as they land in a folder, until Ctrl-C.",
      "Write each file under a hidden or .tmp/.part name and rename it when complete: the rename is",
      "atomic, so a half-written file is never read. With --source every file belongs to that source;",
      "without, each subfolder is named after its source (DIR/<source>/...)."
    })
final class WatchCommand implements Callable<Integer> {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--source",
      paramLabel = "NAME",
      description = "The declared source of every file in the folder.")
  String source;

  @Parameters(index = "0", paramLabel = "DIR", description = "The folder to watch.")
  Path dir;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Settings settings = global.load();
    Ingestor ingestor =
        Ingestor.create(settings.ingest(), "refinery-ingest-watch", IngestMetrics.inMemory());
    FolderWatcher watcher = Launch.watcher(settings, dir, source, ingestor, out);
    Thread thread = new Thread(watcher, "ingest-watch");
    thread.start();
    out.printf(
        "watching %s (%s) on %s; Ctrl-C stops%n",
        dir.toAbsolutePath(),
        source == null ? "a subfolder per source" : "source " + source,
        settings.ingest().bootstrapServers());
    out.flush();
    UntilStopped.await(
        "ingest-watch",
        () -> {
          watcher.close();
          thread.join(30_000);
          ingestor.close();
        });
    return 0;
  }
}
