package dev.refinery.launcher;

import dev.refinery.runtime.audit.PipelineAudit;
import dev.refinery.schemas.Stage;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = {
      "Check invariant 1 on a cluster: every document on corpus.raw.v1 is in token batches (every",
      "token once) or rejected once, read_committed. Lists the documents found twice (duplicated)",
      "and those found nowhere (in flight while the pipeline runs; lost once it has drained).",
      "Exit status: 0 every document accounted for once; 1 duplicates; 3 documents unaccounted."
    })
final class AuditCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--streams",
      split = ",",
      paramLabel = "STREAM",
      description = "Token streams to read (default: the configured streams).")
  List<String> streams;

  @Option(
      names = "--wait",
      paramLabel = "SECONDS",
      defaultValue = "0",
      description =
          "Read again every 5 s for up to this long while documents are unaccounted (in flight)"
              + " (default: ${DEFAULT-VALUE}).")
  long waitSeconds;

  @Option(
      names = "--list",
      paramLabel = "N",
      defaultValue = "20",
      description = "List at most N ids of each kind (default: ${DEFAULT-VALUE}).")
  int list;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Settings settings = global.load();
    List<String> read = streams == null ? settings.streams() : streams;
    String bootstrap = settings.ingest().bootstrapServers();
    dev.refinery.runtime.config.KafkaClients clients = settings.kafka();
    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
    PipelineAudit audit;
    // one consumer follows the topics: each round reads only what came since the last
    try (PipelineAudit.Follower follower = new PipelineAudit.Follower(clients, read)) {
      audit = follower.read();
      while (!audit.drained() && audit.violations().isEmpty() && System.nanoTime() < deadline) {
        err.printf(
            "audit: %d of %d documents accounted for; reading again in 5 s%n",
            audit.accountedFor(), audit.documents().size());
        err.flush();
        Thread.sleep(5_000);
        audit = follower.read();
      }
    }
    List<String> duplicated = audit.violations();
    List<String> unaccounted = audit.inFlight();
    long rejectedLater =
        audit.rejected().stream().filter(r -> r.getStage() != Stage.INGEST).count();
    out.printf("audit of %s (read_committed), streams %s%n", bootstrap, read);
    out.printf("  documents on corpus.raw.v1   %d%n", audit.documents().size());
    out.printf(
        "  accounted for once           %d (rejections after ingest: %d)%n",
        audit.accountedFor(), rejectedLater);
    out.printf("  duplicated                   %d%n", duplicated.size());
    duplicated.stream().limit(list).forEach(d -> out.printf("    %s%n", d));
    out.printf(
        "  unaccounted                  %d%s%n",
        unaccounted.size(),
        unaccounted.isEmpty()
            ? ""
            : " (in flight while the pipeline runs; lost once it has drained)");
    unaccounted.stream().limit(list).forEach(d -> out.printf("    %s%n", d));
    out.flush();
    if (!duplicated.isEmpty()) {
      return Refinery.REJECTED;
    }
    return unaccounted.isEmpty() ? 0 : Refinery.FAILURE;
  }
}
