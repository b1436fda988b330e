package dev.refinery.launcher;

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
    Launch.IngestService service = Launch.ingest(settings, watch, out);
    return UntilStopped.serve(out, "ingest-serve", service::close);
  }
}
