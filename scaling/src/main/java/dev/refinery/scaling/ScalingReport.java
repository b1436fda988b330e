package dev.refinery.scaling;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/** A scaling fit of some runs as JSON (for the API and the page) and as text (for the CLI). */
public final class ScalingReport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BOOTSTRAP = 100;

  /** The functional form to fit. */
  public enum Form {
    POWER,
    CHINCHILLA;

    public static Form parse(String s) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "power", "power-law", "compute" -> POWER;
        case "chinchilla", "nd" -> CHINCHILLA;
        default ->
            throw new IllegalArgumentException("form '" + s + "' is not power or chinchilla");
      };
    }
  }

  private ScalingReport() {}

  /**
   * Fits the runs and forecasts the target.
   *
   * @param targetCompute the compute to forecast (NaN: 10x the largest run)
   * @param targetParams with {@code targetTokens}, the model to forecast in the Chinchilla form
   *     (NaN: the compute-optimal model of {@code targetCompute})
   * @throws IllegalArgumentException when the runs cannot be fitted in that form
   */
  public static ObjectNode fit(
      List<ScalingPoints.Point> runs,
      Form form,
      double targetCompute,
      double targetParams,
      double targetTokens,
      double outlier) {
    double[] c = runs.stream().mapToDouble(ScalingPoints.Point::compute).toArray();
    double[] l = runs.stream().mapToDouble(ScalingPoints.Point::loss).toArray();
    double maxC = java.util.Arrays.stream(c).max().orElse(1);
    double minC = java.util.Arrays.stream(c).min().orElse(1);
    double target = Double.isNaN(targetCompute) ? 10 * maxC : targetCompute;
    ObjectNode out = JSON.createObjectNode();
    out.put("form", form.name().toLowerCase(Locale.ROOT));
    out.put("runs", runs.size());
    ArrayNode points = out.putArray("points");
    ArrayNode curve = out.putArray("curve");
    ObjectNode forecast = out.putObject("forecast");
    double hi = Math.max(target, maxC) * 1.5;
    double lo = minC / 1.5;
    if (form == Form.POWER) {
      ScalingFit.PowerLaw fit = ScalingFit.powerLaw(c, l, BOOTSTRAP, 42);
      out.put("formula", "L(C) = a·C^b + c");
      ObjectNode p = out.putObject("parameters");
      put(p, "a", fit.a());
      put(p, "b", fit.b());
      put(p, "c", fit.c());
      for (int i = 0; i < runs.size(); i++) {
        point(points, runs.get(i), false);
      }
      for (int k = 0; k <= 60; k++) {
        double x = lo * Math.pow(hi / lo, k / 60.0);
        ScalingFit.Forecast f = fit.forecast(x);
        curve.addArray().add(x).add(f.value()).add(f.low()).add(f.high());
      }
      ScalingFit.Forecast f = fit.forecast(target);
      forecast
          .put("compute", target)
          .put("loss", f.value())
          .put("low", f.low())
          .put("high", f.high());
    } else {
      double[] n = runs.stream().mapToDouble(ScalingPoints.Point::params).toArray();
      double[] d = runs.stream().mapToDouble(ScalingPoints.Point::tokens).toArray();
      for (int i = 0; i < n.length; i++) {
        if (Double.isNaN(n[i]) || Double.isNaN(d[i])) {
          throw new IllegalArgumentException(
              "run '"
                  + runs.get(i).run()
                  + "' has no parameter count: the Chinchilla form needs N and D of every run");
        }
      }
      ScalingFit.Chinchilla fit = ScalingFit.chinchilla(n, d, l, outlier, BOOTSTRAP, 42);
      out.put("formula", "L(N, D) = E + A/N^alpha + B/D^beta");
      ObjectNode p = out.putObject("parameters");
      put(p, "E", fit.e());
      put(p, "A", fit.a());
      put(p, "B", fit.b());
      put(p, "alpha", fit.alpha());
      put(p, "beta", fit.beta());
      for (int i = 0; i < runs.size(); i++) {
        point(points, runs.get(i), fit.excluded().contains(i));
      }
      out.put("excluded", fit.excluded().size());
      for (int k = 0; k <= 60; k++) {
        double x = lo * Math.pow(hi / lo, k / 60.0);
        double[] nd = fit.optimalAllocation(x);
        ScalingFit.Forecast f = fit.forecast(nd[0], nd[1]);
        curve.addArray().add(x).add(f.value()).add(f.low()).add(f.high());
      }
      double[] nd =
          Double.isNaN(targetParams) || Double.isNaN(targetTokens)
              ? fit.optimalAllocation(target)
              : new double[] {targetParams, targetTokens};
      ScalingFit.Forecast f = fit.forecast(nd[0], nd[1]);
      forecast
          .put("compute", 6 * nd[0] * nd[1])
          .put("params", nd[0])
          .put("tokens", nd[1])
          .put("loss", f.value())
          .put("low", f.low())
          .put("high", f.high());
    }
    return out;
  }

  private static void put(ObjectNode parent, String name, ScalingFit.Estimate e) {
    ObjectNode o = parent.putObject(name);
    o.put("value", e.value()).put("stderr", e.stderr()).put("low", e.low()).put("high", e.high());
  }

  private static void point(ArrayNode points, ScalingPoints.Point p, boolean excluded) {
    ObjectNode o =
        points.addObject().put("run", p.run()).put("compute", p.compute()).put("loss", p.loss());
    if (!Double.isNaN(p.params())) {
      o.put("params", p.params());
    }
    if (!Double.isNaN(p.tokens())) {
      o.put("tokens", p.tokens());
    }
    o.put("excluded", excluded);
  }

  /** The report as lines for a terminal. */
  public static String text(ObjectNode report) {
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "%s fitted to %d runs%s%n",
            report.get("formula").asText(),
            report.get("runs").asInt(),
            report.has("excluded") && report.get("excluded").asInt() > 0
                ? " (" + report.get("excluded").asInt() + " left out as outliers)"
                : ""));
    s.append(
        String.format(
            Locale.ROOT,
            "  %-6s %14s %12s   %s%n",
            "",
            "value",
            "std. error",
            "95% interval (bootstrap)"));
    report
        .get("parameters")
        .fields()
        .forEachRemaining(
            e ->
                s.append(
                    String.format(
                        Locale.ROOT,
                        "  %-6s %14.6g %12.4g   [%.6g, %.6g]%n",
                        e.getKey(),
                        e.getValue().get("value").asDouble(),
                        e.getValue().get("stderr").asDouble(),
                        e.getValue().get("low").asDouble(),
                        e.getValue().get("high").asDouble())));
    ObjectNode f = (ObjectNode) report.get("forecast");
    s.append(
        String.format(
            Locale.ROOT,
            "forecast at C = %.3g FLOPs%s: loss %.4f  [%.4f, %.4f]%n",
            f.get("compute").asDouble(),
            f.has("params")
                ? String.format(
                    Locale.ROOT,
                    " (N = %.3g, D = %.3g)",
                    f.get("params").asDouble(),
                    f.get("tokens").asDouble())
                : "",
            f.get("loss").asDouble(),
            f.get("low").asDouble(),
            f.get("high").asDouble()));
    return s.toString();
  }
}
