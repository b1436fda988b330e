package dev.refinery.launcher;

import dev.refinery.infra.StageAcls;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "acls",
    mixinStandardHelpOptions = true,
    description = {
      "The Kafka ACLs of least privilege for a stage's principal (docs/security.md): printed, or",
      "with --apply created on the cluster (as the principal of the kafka.* settings, an operator)."
    })
final class AclsCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--stage",
      required = true,
      description =
          "ingest, dedup-filter, tokenizer, trainer-bridge, feedback, console or auditor.")
  String stage;

  @Option(
      names = "--principal",
      required = true,
      paramLabel = "TYPE:NAME",
      description = "The stage's principal, e.g. User:refinery-ingest.")
  String principal;

  @Option(
      names = "--id",
      paramLabel = "ID",
      description =
          "The stage's application id, group id or transactional id prefix, if not the default.")
  String id;

  @Option(names = "--apply", description = "Create the ACLs on the cluster.")
  boolean apply;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    StageAcls.Stage parsed;
    try {
      parsed = StageAcls.Stage.parse(stage);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "no stage '" + stage + "'; the stages are " + List.of(StageAcls.Stage.values()));
    }
    List<AclBinding> acls = StageAcls.of(parsed, principal, id);
    for (AclBinding b : acls) {
      out.printf(
          "%-6s %-10s %-17s %-9s %-34s %s%n",
          b.entry().permissionType(),
          b.entry().operation(),
          b.pattern().resourceType(),
          b.pattern().patternType(),
          b.pattern().name(),
          b.entry().principal());
    }
    if (apply) {
      Settings settings = global.load();
      try (Admin admin = Admin.create(settings.kafka().admin(Map.of()))) {
        admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
      }
      out.printf(
          "%d ACLs created for %s on %s%n",
          acls.size(), principal, settings.kafka().bootstrapServers());
    }
    out.flush();
    return 0;
  }
}
