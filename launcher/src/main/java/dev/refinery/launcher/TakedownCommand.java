package dev.refinery.launcher;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.TakedownScope;
import dev.refinery.schemas.Topics;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "takedown",
    mixinStandardHelpOptions = true,
    description = {
      "Publish a takedown on corpus.takedowns.v1 (one document, every URL under a prefix, a",
      "whole source, or an image and every document holding it), withdraw one, or list those",
      "in force. dedup-filter rejects every document a takedown covers from the moment it reads",
      "it, as TAKEDOWN with the reason given here.",
      "Needs a running broker: refinery up, or --bootstrap-servers."
    })
final class TakedownCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Scope scope;

  static final class Scope {
    @Option(names = "--doc-id", paramLabel = "ID", description = "One document, by its id.")
    String docId;

    @Option(
        names = "--url-prefix",
        paramLabel = "URL",
        description =
            "Every document whose URL starts with this string, after lower-casing scheme and host"
                + " (https://docs.python.org/3/library/asyncio covers …/asyncio-eventloop.html);"
                + " an absolute http(s) URL.")
    String urlPrefix;

    @Option(names = "--source", paramLabel = "NAME", description = "Every document of a source.")
    String source;

    @Option(
        names = "--image",
        paramLabel = "SHA256",
        description =
            "An image, by the SHA-256 of its bytes (64 hex digits), and every document holding it.")
    String image;

    Takedown.Builder builder() {
      Takedown.Builder b = Takedown.newBuilder();
      if (docId != null) {
        return b.setScope(TakedownScope.DOC_ID).setValue(docId);
      }
      if (urlPrefix != null) {
        Takedowns.checkUrlPrefix(urlPrefix);
        return b.setScope(TakedownScope.URL_PREFIX).setValue(urlPrefix);
      }
      if (image != null) {
        if (!image.matches("[0-9a-fA-F]{64}")) {
          throw new IllegalArgumentException(
              "--image takes an image's SHA-256: 64 hex digits, not '" + image + "'");
        }
        return b.setScope(TakedownScope.IMAGE).setValue(image.toLowerCase(java.util.Locale.ROOT));
      }
      return b.setScope(TakedownScope.SOURCE).setValue(source);
    }
  }

  @Option(
      names = "--reason",
      paramLabel = "TEXT",
      description = "Why: a legal request, a licensor's withdrawal.")
  String reason;

  @Option(names = "--requested-by", paramLabel = "WHO", description = "Who asked for it.")
  String requestedBy;

  @Option(names = "--withdraw", description = "Withdraw the takedown of this scope and value.")
  boolean withdraw;

  @Option(names = "--list", description = "List the takedowns in force.")
  boolean list;

  @Option(
      names = "--no-report",
      description =
          "Do not report what already passed dedup-filter. By default, after publishing, the"
              + " command reads corpus.clean.v1, the token topics and the runs' checkpoints, and"
              + " reports the documents and spans the takedown covers (delivered masked from now on)"
              + " and the runs that trained on them.")
  boolean noReport;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    KafkaClients bootstrap = global.load().kafka();
    if (list) {
      Map<String, Takedown> inForce = Takedowns.inForce(bootstrap);
      out.printf("%d takedowns in force on %s%n", inForce.size(), Topics.CORPUS_TAKEDOWNS.name());
      inForce.forEach(
          (key, t) ->
              out.printf(
                  "  %-60s %s (%s, %s)%n",
                  key,
                  t.getReason(),
                  t.getRequestedBy() == null ? "requester not given" : t.getRequestedBy(),
                  t.getRequestedAt()));
      return 0;
    }
    if (scope == null) {
      throw new IllegalArgumentException(
          "name what to take down: --doc-id, --url-prefix or --source (or --list)");
    }
    Takedown.Builder builder =
        scope.builder().setRequestedAt(Instant.now()).setRequestedBy(requestedBy);
    if (withdraw) {
      String key = Takedowns.key(builder.setReason("").build());
      RecordMetadata at = Takedowns.withdraw(bootstrap, key);
      out.printf(
          "withdrew takedown %s (%s partition %d, offset %d); documents it covered are no longer "
              + "rejected from now on%n",
          key, at.topic(), at.partition(), at.offset());
      return 0;
    }
    if (reason == null || reason.isBlank()) {
      throw new IllegalArgumentException(
          "give the --reason for the takedown: it goes on every rejection");
    }
    Takedown takedown = builder.setReason(reason).build();
    RecordMetadata at = Takedowns.publish(bootstrap, takedown);
    out.printf(
        "takedown %s published (%s partition %d, offset %d); dedup-filter rejects the documents it "
            + "covers as TAKEDOWN, and the trainer-bridge masks their spans, from now on%n",
        Takedowns.key(takedown), at.topic(), at.partition(), at.offset());
    out.flush();
    if (!noReport) {
      PrintWriter err = spec.commandLine().getErr();
      dev.refinery.bridge.TakedownReach.Report r =
          dev.refinery.bridge.TakedownReach.of(
              global.load().bridge(),
              takedown,
              what -> {
                err.println(what + " ...");
                err.flush();
              });
      out.printf(
          "already past dedup-filter: %d document(s) on %s%s%n",
          r.cleanDocuments(),
          Topics.CORPUS_CLEAN.name(),
          r.cleanSample().isEmpty() ? "" : " (" + String.join(", ", r.cleanSample()) + ")");
      out.printf(
          "in token batches: %d span(s), %d token(s)%s%n",
          r.spans(),
          r.tokens(),
          r.batchesByStream().isEmpty()
              ? ""
              : " in "
                  + r.batchesByStream().entrySet().stream()
                      .map(e -> e.getValue().size() + " batch(es) of " + e.getKey())
                      .collect(java.util.stream.Collectors.joining(", ")));
      if (r.stepsByRun().isEmpty()) {
        out.println("no run has trained on them (by the checkpoints on trainer.checkpoints.v1)");
      }
      r.stepsByRun()
          .forEach(
              (run, steps) ->
                  out.printf(
                      "run %s trained on them at %d step(s): %s%n",
                      run,
                      steps.size(),
                      steps.stream()
                          .limit(20)
                          .map(String::valueOf)
                          .collect(java.util.stream.Collectors.joining(", "))));
    }
    return 0;
  }
}
