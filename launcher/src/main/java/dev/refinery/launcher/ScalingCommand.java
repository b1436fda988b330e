package dev.refinery.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.scaling.ScalingPoints;
import dev.refinery.scaling.ScalingReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "scaling",
    mixinStandardHelpOptions = true,
    description = {
      "Fit a scaling law to completed runs and forecast a larger one, as GPT-4's report did:",
      "L(C) = a*C^b + c (--form power) or L(N, D) = E + A/N^alpha + B/D^beta (--form chinchilla),",
      "by Huber-robust non-linear least squares, with bootstrap 95%% intervals."
    })
final class ScalingCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--csv",
      required = true,
      paramLabel = "FILE",
      description =
          "Runs: a header naming compute (or params and tokens), loss and optionally run.")
  Path csv;

  @Option(
      names = "--form",
      defaultValue = "power",
      description = "power or chinchilla (default ${DEFAULT-VALUE}).")
  String form;

  @Option(
      names = "--target-compute",
      paramLabel = "FLOPS",
      description = "Compute to forecast (default 10x the largest run).")
  Double targetCompute;

  @Option(
      names = "--target-params",
      paramLabel = "N",
      description = "With --target-tokens, the model to forecast (chinchilla).")
  Double targetParams;

  @Option(
      names = "--target-tokens",
      paramLabel = "D",
      description = "Tokens of the model to forecast (chinchilla).")
  Double targetTokens;

  @Option(
      names = "--max-compute",
      paramLabel = "FLOPS",
      description =
          "Fit only runs with at most this compute (to check a forecast against larger runs).")
  Double maxCompute;

  @Option(
      names = "--outlier",
      defaultValue = "0.05",
      description =
          "Chinchilla form: leave out runs the first fit misses by more than this in log loss (default ${DEFAULT-VALUE}; NaN keeps all).")
  double outlier;

  @Option(
      names = "--frontier",
      description =
          "Fit only the compute-optimal frontier: runs with a lower loss than every run of less compute.")
  boolean frontier;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<ScalingPoints.Point> runs;
    ScalingReport.Form f;
    try {
      runs = ScalingPoints.read(csv);
      f = ScalingReport.Form.parse(form);
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      err.println("refinery scaling: " + e.getMessage());
      return Refinery.USAGE;
    }
    if (maxCompute != null) {
      runs = runs.stream().filter(r -> r.compute() <= maxCompute).toList();
    }
    if (frontier) {
      runs = ScalingPoints.frontier(runs);
    }
    err.printf(
        "fitting %s to %d runs of %s ...%n",
        f.name().toLowerCase(java.util.Locale.ROOT), runs.size(), csv);
    err.flush();
    long t0 = System.nanoTime();
    ObjectNode report;
    try {
      report =
          ScalingReport.fit(
              runs,
              f,
              targetCompute == null ? Double.NaN : targetCompute,
              targetParams == null ? Double.NaN : targetParams,
              targetTokens == null ? Double.NaN : targetTokens,
              outlier);
    } catch (IllegalArgumentException e) {
      err.println("refinery scaling: " + e.getMessage());
      return Refinery.USAGE;
    }
    if (json) {
      out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
    } else {
      out.print(ScalingReport.text(report));
    }
    out.flush();
    err.printf("(%.1f s)%n", (System.nanoTime() - t0) / 1e9);
    return 0;
  }
}
