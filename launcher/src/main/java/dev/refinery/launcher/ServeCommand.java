package dev.refinery.launcher;

import dev.refinery.ingest.FolderWatcher;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.IngestServer;
import dev.refinery.ingest.Ingestor;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the ingest service until Ctrl-C: POST /v1/sources/{source}/documents (JSON or NDJSON),",
      "GET /metrics (Prometheus), GET /health; with --watch, also ingest files landing in a folder."
    })
final class ServeCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--watch",
      paramLabel = "DIR",
      description = "Also watch this folder (a subfolder per source).")
  Path watch;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Settings settings = global.load();
    IngestService service = IngestService.start(settings, watch, out);
    out.printf(
        "ingest service on http://localhost:%d (POST /v1/sources/{source}/documents, /metrics, /health)%s; "
            + "Ctrl-C stops%n",
        service.port(), watch == null ? "" : ", watching " + watch.toAbsolutePath());
    out.flush();
    UntilStopped.await("ingest-serve", service::close);
    return 0;
  }

  /** The HTTP service and, if asked, a folder watcher, sharing one metrics registry. */
  static final class IngestService implements AutoCloseable {
    private final IngestServer server;
    private final FolderWatcher watcher;
    private final Thread thread;
    private final Ingestor ingestor;

    private IngestService(
        IngestServer server, FolderWatcher watcher, Thread thread, Ingestor ingestor) {
      this.server = server;
      this.watcher = watcher;
      this.thread = thread;
      this.ingestor = ingestor;
    }

    static IngestService start(Settings settings, Path watch, PrintWriter out) throws Exception {
      PrometheusMeterRegistry registry = IngestServer.prometheus();
      IngestServer server = IngestServer.start(settings.ingest(), settings.sources(), registry);
      if (watch == null) {
        return new IngestService(server, null, null, null);
      }
      Ingestor ingestor =
          Ingestor.create(settings.ingest(), "refinery-ingest-watch", new IngestMetrics(registry));
      FolderWatcher watcher = WatchCommand.watcher(settings, watch, null, ingestor, out);
      Thread thread = new Thread(watcher, "ingest-watch");
      thread.start();
      return new IngestService(server, watcher, thread, ingestor);
    }

    int port() {
      return server.port();
    }

    @Override
    public void close() {
      if (watcher != null) {
        watcher.close();
        try {
          thread.join(30_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        ingestor.close();
      }
      server.close();
    }
  }
}
