package dev.refinery.launcher;

import dev.refinery.feedback.FeedbackService;
import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.pairs.RewardPairs;
import dev.refinery.schemas.PairOrigin;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "feedback",
    mixinStandardHelpOptions = true,
    description = "Human preference labels and RBRM judgements into reward-model pairs.",
    subcommands = {
      FeedbackCommand.Serve.class,
      FeedbackCommand.Export.class,
      FeedbackCommand.Reconcile.class
    })
final class FeedbackCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = {
        "Run the labeling gateway (native API, Label Studio and Argilla webhooks, RBRM",
        "judgements) and the joiner that writes feedback.rm-pairs.v1, until Ctrl-C."
      })
  static final class Serve implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      Settings settings = global.load();
      FeedbackService service = Launch.feedback(settings, out);
      return UntilStopped.serve(out, "refinery-feedback", service::close);
    }
  }

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Write the current reward-model pairs as JSONL in a trainer's format (TRL's preference,",
        "implicit-prompt or conversational format, or OpenRLHF's): each label or RBRM set at its",
        "latest revision, retracted and deleted ones left out, a prompt's pairs together."
      })
  static final class Export implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(
        names = {"-o", "--out"},
        paramLabel = "FILE",
        required = true,
        description = "The JSONL file to write ('-' for standard output).")
    String outFile;

    @Option(
        names = "--origin",
        split = ",",
        paramLabel = "ORIGIN",
        description = "HUMAN, RBRM or both (default both).")
    Set<PairOrigin> origins;

    @Option(
        names = "--format",
        paramLabel = "FORMAT",
        defaultValue = "trl-preference",
        description =
            "trl-preference (prompt, chosen, rejected as text), trl-implicit (chosen and rejected"
                + " hold the prompt), trl-conversational (lists of messages) or openrlhf"
                + " (messages, margin on every row). Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(
        names = "--margin",
        paramLabel = "POLICY",
        defaultValue = "auto",
        description =
            "auto: a margin on every row (0 where a pair has none) if any pair has one, else on"
                + " none; always; never. TRL's reward collator needs it on every row or none."
                + " Default: ${DEFAULT-VALUE}.")
    String margin;

    @Option(
        names = "--lineage",
        description =
            "Add pair_id, group_id, sample_id, origin, models, labeler and rubric columns.")
    boolean lineage;

    @Override
    public Integer call() throws IOException {
      PrintWriter err = spec.commandLine().getErr();
      RewardPairs.Format as = RewardPairs.Format.ofCliName(format);
      RewardPairs.Margin margins;
      try {
        margins = RewardPairs.Margin.valueOf(margin.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--margin " + margin + " is not auto, always or never");
      }
      Settings settings = global.load();
      KafkaClients kafka = settings.feedback().kafka();
      long t0 = System.nanoTime();
      Set<PairOrigin> chosen =
          origins == null || origins.isEmpty() ? EnumSet.allOf(PairOrigin.class) : origins;
      try (RewardPairs pairs =
          RewardPairs.read(
              kafka,
              n -> {
                err.printf("\rreading feedback.rm-pairs.v1: %,d records", n);
                err.flush();
              })) {
        err.println();
        long lines;
        if (outFile.equals("-")) {
          OutputStream stdout = new BufferedOutputStream(System.out);
          lines = pairs.write(chosen, as, margins, lineage, stdout);
          stdout.flush();
        } else {
          Path file = Path.of(outFile);
          Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
          try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp))) {
            lines = pairs.write(chosen, as, margins, lineage, os);
          }
          Files.move(
              tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        err.printf(
            "%,d pairs of %,d prompts written to %s (%,d records read, %,d sets, %,d undecodable) in %.1f s%n",
            lines,
            pairs.groups(chosen),
            outFile.equals("-") ? "standard output" : outFile,
            pairs.records(),
            pairs.sets(),
            pairs.undecodable(),
            Duration.ofNanos(System.nanoTime() - t0).toMillis() / 1000.0);
      }
      err.flush();
      return 0;
    }
  }

  @Command(
      name = "reconcile",
      mixinStandardHelpOptions = true,
      description = {
        "Send the gateway what Label Studio's webhooks missed: list a project's annotations",
        "through Label Studio's API, and post to the gateway's webhook endpoint each one",
        "feedback.preferences.v1 lacks at its revision, and the deletion of each label the",
        "project no longer has. Idempotent: a second run sends nothing.",
        "Label Studio's token is feedback.labelstudio.api.token (or",
        "REFINERY_FEEDBACK_LABELSTUDIO_API_TOKEN)."
      })
  static final class Reconcile implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--label-studio",
        paramLabel = "URL",
        description = "Label Studio's address (default: feedback.labelstudio.url).")
    String labelStudio;

    @Option(
        names = "--project",
        paramLabel = "ID",
        required = true,
        split = ",",
        description = "The Label Studio project(s) to reconcile.")
    List<String> projects;

    @Option(
        names = "--gateway",
        paramLabel = "URL",
        description =
            "The feedback gateway (default: http://127.0.0.1:<feedback.http.port>); its token is"
                + " one of feedback.token.* with scope label-studio, or the local one `up` made.")
    String gateway;

    @Option(
        names = "--every",
        paramLabel = "DURATION",
        description =
            "Run again at this interval until Ctrl-C (e.g. PT10M), for tools that do not retry.")
    Duration every;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      Settings settings = global.load();
      dev.refinery.feedback.FeedbackConfig config = settings.feedback();
      String url = labelStudio != null ? labelStudio : config.labelStudioUrl();
      if (url.isBlank()) {
        throw new IllegalArgumentException(
            "give Label Studio's address: --label-studio URL (or feedback.labelstudio.url)");
      }
      String lsToken = config.labelStudioApiToken().value();
      if (lsToken.isBlank()) {
        throw new IllegalArgumentException(
            "set feedback.labelstudio.api.token (or REFINERY_FEEDBACK_LABELSTUDIO_API_TOKEN) to a"
                + " Label Studio access token that may read the project");
      }
      String token =
          config.tokens().all().values().stream()
              .filter(t -> t.scopes().contains("label-studio"))
              .map(dev.refinery.runtime.http.ApiTokens.Token::secret)
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "no feedback.token.* with scope label-studio to post to the gateway"));
      java.net.URI target =
          java.net.URI.create(gateway != null ? gateway : "http://127.0.0.1:" + config.httpPort());
      dev.refinery.feedback.LabelStudioReconciler reconciler =
          new dev.refinery.feedback.LabelStudioReconciler(url, lsToken);
      dev.refinery.feedback.LabelStudioReconciler.Sink sink =
          dev.refinery.feedback.LabelStudioReconciler.gateway(target, token);
      int refused = 0;
      do {
        for (String project : projects) {
          dev.refinery.feedback.LabelStudioReconciler.Report report =
              reconciler.reconcile(project, config.kafka(), sink);
          out.printf("project %s: %s%n", project, report);
          report.refused().forEach(r -> out.println("  refused " + r));
          refused += report.refused().size();
          out.flush();
        }
        if (every != null) {
          Thread.sleep(every.toMillis());
        }
      } while (every != null);
      return refused > 0 ? Refinery.REJECTED : 0;
    }
  }
}
