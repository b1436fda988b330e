package dev.refinery.launcher;

import dev.refinery.dedup.DedupFilterConfig;
import dev.refinery.dedup.DedupFilterService;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(
    name = "dedup-filter",
    mixinStandardHelpOptions = true,
    description = {
      "Run the dedup-filter stage alone (Kafka Streams) until Ctrl-C.",
      "Instances with the same dedup.application.id share the partitions of corpus.raw.v1."
    })
final class DedupFilterCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    DedupFilterConfig config = global.load().dedup();
    DedupFilterService service = DedupFilterService.start(config);
    out.printf(
        "dedup-filter (application id %s) on %s, state in %s; Ctrl-C stops%n",
        config.applicationId(), config.bootstrapServers(), config.stateDir());
    out.flush();
    UntilStopped.await("dedup-filter", service::close);
    return 0;
  }
}
