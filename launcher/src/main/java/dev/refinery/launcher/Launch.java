package dev.refinery.launcher;

import dev.refinery.bridge.BridgeConfig;
import dev.refinery.bridge.BridgeServer;
import dev.refinery.console.ConsoleConfig;
import dev.refinery.console.ConsoleServer;
import dev.refinery.feedback.FeedbackConfig;
import dev.refinery.feedback.FeedbackService;
import dev.refinery.ingest.FolderWatcher;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.IngestReport;
import dev.refinery.ingest.IngestServer;
import dev.refinery.ingest.Ingestor;
import dev.refinery.runtime.http.ApiTokens;
import dev.refinery.runtime.http.Health;
import dev.refinery.runtime.service.Service;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.LocalTime;
import java.util.Map;

/**
 * How each service is started from the settings and announced: one place that {@code up} and the
 * commands that run one service ({@code ingest serve}, {@code bridge serve}, {@code feedback
 * serve}, {@code console}) share.
 */
final class Launch {
  private static final java.time.format.DateTimeFormatter CLOCK =
      java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss");

  private Launch() {}

  /** The ingest HTTP service and, with {@code watch}, a folder watcher beside it. */
  static IngestService ingest(Settings settings, Path watch, PrintWriter out) throws Exception {
    PrometheusMeterRegistry registry = IngestServer.prometheus();
    IngestServer server = IngestServer.start(settings.ingest(), settings.sources(), registry);
    IngestService service;
    if (watch == null) {
      service = new IngestService(server, null, null, null);
    } else {
      Ingestor ingestor;
      try {
        ingestor =
            Ingestor.create(
                settings.ingest(), "refinery-ingest-watch", new IngestMetrics(registry));
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      FolderWatcher watcher = watcher(settings, watch, null, ingestor, out);
      Thread thread = new Thread(watcher, "ingest-watch");
      thread.start();
      service = new IngestService(server, watcher, thread, ingestor);
    }
    out.printf(
        "ingest service on %s (POST /v1/sources/{source}/documents, /metrics, /health)%s%n",
        server.endpoints().get("http"),
        watch == null ? "" : ", watching " + watch.toAbsolutePath());
    out.flush();
    return service;
  }

  /** Starts the bridge, with a socket in the work folder unless one is set, and says where. */
  static BridgeServer bridge(Settings settings, PrintWriter out) throws IOException {
    BridgeConfig config = settings.bridge();
    if (config.socket().isBlank()) {
      config =
          settings
              .with(
                  Map.of(
                      BridgeConfig.SOCKET,
                      settings.workDir().resolve("bridge.sock").toAbsolutePath().toString()))
              .bridge();
    }
    BridgeServer server = BridgeServer.start(config);
    out.printf(
        "trainer-bridge listening on %s%s (metrics %s)%n",
        server.port() >= 0 ? "127.0.0.1:" + server.port() : "",
        server.socket() != null ? " and unix:" + server.socket() : "",
        server.httpPort() >= 0 ? "http://127.0.0.1:" + server.httpPort() + "/metrics" : "off");
    out.printf(
        "  rank:    BridgeClient.connect(\"%s\", run_id=\"RUN\", rank=R, world_size=W, streams={\"%s\": 1.0})%n",
        server.port() >= 0 ? "127.0.0.1:" + server.port() : "unix:" + server.socket(),
        config.streams().get(0));
    out.flush();
    return server;
  }

  /** Starts the feedback service and says where it listens and how to reach it. */
  static FeedbackService feedback(Settings settings, PrintWriter out) throws IOException {
    FeedbackConfig config = settings.feedback();
    FeedbackService service = FeedbackService.start(config);
    String base = service.endpoints().get("http").toString();
    out.printf("feedback gateway on %s (metrics %s/metrics)%n", base, base);
    if (config.tokens().all().containsKey("local")) {
      out.printf(
          "  labels:  curl -H \"Authorization: Bearer $(cat %s)\" -d @labels.json %s/v1/labels%n",
          settings.localFeedbackToken(), base);
      out.printf(
          "  webhooks: Label Studio %s/v1/webhooks/label-studio (header Authorization: Token <token>);"
              + " Argilla %s/v1/webhooks/argilla (set %s)%n",
          base, base, FeedbackConfig.ARGILLA_SECRET);
    }
    out.flush();
    return service;
  }

  /** Starts the console and says where. */
  static ConsoleServer console(Settings settings, PrintWriter out) throws IOException {
    ConsoleConfig config = settings.console();
    ConsoleServer console = ConsoleServer.start(config);
    URI base = console.endpoints().get("http");
    ApiTokens.Token local = config.tokens().all().get("local");
    String token = "#token=" + (local != null ? local.secret() : "<a token of scope read>");
    out.printf(
        "console on %s%s (health %shealth.html%s; API %sapi/snapshot, Authorization: Bearer)%n",
        base, token, base, token, base);
    out.flush();
    return console;
  }

  /** A watcher that prints a line per file it finishes or fails. */
  static FolderWatcher watcher(
      Settings settings, Path dir, String source, Ingestor ingestor, PrintWriter out) {
    return new FolderWatcher(
        dir,
        settings.sources(),
        source,
        ingestor,
        settings.ingest().watchPollMs(),
        settings.ingest().watchQuietMs(),
        new FolderWatcher.Listener() {
          @Override
          public void ingested(Path file, IngestReport r) {
            out.printf(
                "%s %s: %s%n",
                LocalTime.now().format(CLOCK),
                dir.relativize(file),
                r.notRead()
                    ? IngestTable.note(r).strip()
                    : r.documents()
                        + " documents, "
                        + r.rejectedTotal()
                        + " rejected, "
                        + r.skipped()
                        + " skipped"
                        + (r.resumedAt() > 0
                            ? ", resumed after " + r.resumedAt() + " records"
                            : ""));
            out.flush();
          }

          @Override
          public void failed(Path file, Exception error) {
            out.printf(
                "%s %s: not ingested yet (%s); trying again at the next scan%n",
                LocalTime.now().format(CLOCK), dir.relativize(file), error.getMessage());
            out.flush();
          }
        },
        System::currentTimeMillis);
  }

  /** The ingest HTTP service and, if asked, a folder watcher, sharing one metrics registry. */
  static final class IngestService implements Service {
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

    int port() {
      return server.port();
    }

    @Override
    public String name() {
      return "ingest";
    }

    @Override
    public boolean ready() {
      return server.ready();
    }

    @Override
    public Health health() {
      return server.health();
    }

    @Override
    public Map<String, URI> endpoints() {
      return server.endpoints();
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
