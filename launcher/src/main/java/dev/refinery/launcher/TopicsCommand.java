package dev.refinery.launcher;

import dev.refinery.infra.TopicProvisioner;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = {
      "Create the catalog's topics (and tokens.<stream>.v1 of the declared streams) on a cluster.",
      "Idempotent: a second run changes nothing."
    })
final class TopicsCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    for (TopicProvisioner.Result r : Pipeline.provision(global.load(), out)) {
      out.printf("  %-26s %-17s %s%n", r.topic(), r.outcome(), r.detail());
    }
    return 0;
  }
}
