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
      "Idempotent: a second run changes nothing. Topics get topics.replication.factor copies",
      "(default 3, or the brokers if fewer) and topics.min.insync.replicas (default one less);",
      "an existing topic that differs is reported, and changed only with --alter."
    })
final class TopicsCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @picocli.CommandLine.Option(
      names = "--alter",
      description =
          "Set back the configs of existing topics that differ from the catalog (retention,"
              + " cleanup, min ISR); without it they are reported and the command fails.")
  boolean alter;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    for (TopicProvisioner.Result r : Pipeline.provision(global.load(), alter, out)) {
      out.printf("  %-26s %-17s %s%n", r.topic(), r.outcome(), r.detail());
    }
    return 0;
  }
}
