package dev.refinery.launcher;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = "Run the embedded broker and every stage in this process until Ctrl-C.")
final class UpCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Settings settings = global.load();
    Pipeline pipeline = Pipeline.start(settings, global.embedded(), out);
    out.printf("%nRefinery is up. Kafka: %s%n", pipeline.bootstrapServers());
    out.printf("  token streams: %s%n", String.join(", ", pipeline.settings().streams()));
    out.printf(
        "  ingest:  ./refinery ingest --bootstrap-servers %s --source NAME FILE...%n",
        pipeline.bootstrapServers());
    out.printf(
        "  watch:   ./refinery bridge tail --bootstrap-servers %s --stream %s%n",
        pipeline.bootstrapServers(), pipeline.settings().streams().get(0));
    out.printf("  kcat:    kcat -b %s -L%n", pipeline.bootstrapServers());
    out.println(
        "Ctrl-C stops; state is kept in "
            + settings.workDir()
            + " and the next 'up' resumes from it.");
    out.flush();
    UntilStopped.await("refinery", pipeline::close);
    return 0;
  }
}
