package dev.refinery.launcher;

import dev.refinery.runtime.kafka.TopicSnapshot;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "rejections",
    mixinStandardHelpOptions = true,
    description = {
      "Show what is on corpus.rejected.v1 now: every rejection with its stage, rule, reason, the",
      "measured value and threshold, dup_of and where the input was; then the counts by reason."
    })
final class RejectionsCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--reason",
      paramLabel = "REASON",
      description = "Only this reason, e.g. NEAR_DUPLICATE.")
  String reason;

  @Option(
      names = "--rule",
      paramLabel = "RULE",
      description = "Only this rule, e.g. gopher_quality.")
  String rule;

  @Option(
      names = "--limit",
      defaultValue = "20",
      description =
          "Show at most this many (default: ${DEFAULT-VALUE}); " + "the counts cover all.")
  int limit;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<RejectedDocument> all =
        TopicSnapshot.read(global.load().kafka(), Topics.CORPUS_REJECTED, Duration.ofSeconds(60))
            .stream()
            .map(TopicSnapshot.Entry::value)
            .filter(
                r ->
                    r != null
                        && (reason == null || reason.equalsIgnoreCase(r.getReason()))
                        && (rule == null || rule.equalsIgnoreCase(r.getRule())))
            .toList();
    Map<String, Long> counts = new TreeMap<>();
    int shown = 0;
    for (RejectedDocument r : all) {
      counts.merge(
          r.getStage() + " " + (r.getRule() == null ? "-" : r.getRule()) + " " + r.getReason(),
          1L,
          Long::sum);
      if (shown++ < limit) {
        out.printf(
            "%s %s %s/%s%s%n    %s%s%n",
            r.getDocId(),
            r.getStage(),
            r.getRule() == null ? "-" : r.getRule(),
            r.getReason(),
            r.getSource() == null ? "" : " (" + r.getSource().getName() + ")",
            r.getDetail(),
            r.getDupOf() == null ? "" : "  [dup_of " + r.getDupOf() + "]");
        if (r.getMeasured() != null) {
          out.printf(
              Locale.ROOT, "    measured %s, threshold %s%n", r.getMeasured(), r.getThreshold());
        }
      }
    }
    out.printf(
        "%n%d rejections%s%n", all.size(), all.size() > limit ? " (" + limit + " shown)" : "");
    counts.forEach((k, n) -> out.printf("  %-60s %d%n", k, n));
    return 0;
  }
}
