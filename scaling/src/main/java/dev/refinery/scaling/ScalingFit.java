package dev.refinery.scaling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.ArrayRealVector;
import org.hipparchus.linear.DiagonalMatrix;
import org.hipparchus.linear.RealMatrix;
import org.hipparchus.linear.RealVector;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LeastSquaresBuilder;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LeastSquaresOptimizer;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LevenbergMarquardtOptimizer;
import org.hipparchus.optim.nonlinear.vector.leastsquares.MultivariateJacobianFunction;
import org.hipparchus.util.Pair;

/**
 * Scaling-law fits, as the GPT-4 report and the Chinchilla paper made them:
 *
 * <ul>
 *   <li>{@link #powerLaw}: L(C) = a·C^b + c, a power law in compute with an irreducible loss c,
 *       fitted to small runs and extrapolated to a target compute.
 *   <li>{@link #chinchilla}: L(N, D) = E + A/N^α + B/D^β in parameters and tokens (Hoffmann et al.
 *       2022, approach 3).
 * </ul>
 *
 * Both minimize the Huber loss (δ = 10⁻³) of the log-loss residuals, Hoffmann et al.'s robust
 * objective, by iteratively reweighted Levenberg-Marquardt (Hipparchus): each round solves a
 * weighted least-squares problem whose weights are the Huber weights of the last round's residuals,
 * which converges to the Huber M-estimate. Starting points come from a grid, as Hoffmann et al.
 * did; uncertainty is a bootstrap over the points (resampled with replacement, refitted), reported
 * as standard errors and 95% percentile intervals of the parameters and of the forecast.
 */
public final class ScalingFit {
  /** Hoffmann et al.'s Huber δ on log-loss residuals. */
  public static final double HUBER_DELTA = 1e-3;

  private static final int IRLS_ROUNDS = 30;
  private static final LeastSquaresOptimizer LM = new LevenbergMarquardtOptimizer();

  private ScalingFit() {}

  /** A fitted parameter: its value, bootstrap standard error and 95% interval. */
  public record Estimate(double value, double stderr, double low, double high) {}

  /** A forecast: the point value and its bootstrap 95% interval. */
  public record Forecast(double value, double low, double high) {}

  /** L(C) = a·C^b + c. */
  public record PowerLaw(
      Estimate a, Estimate b, Estimate c, int points, double huber, double[][] bootstrap) {
    public double predict(double compute) {
      return a.value() * Math.pow(compute, b.value()) + c.value();
    }

    /** The forecast at a compute, with the interval of the bootstrap fits' forecasts. */
    public Forecast forecast(double compute) {
      return ScalingFit.forecast(
          predict(compute), bootstrap, p -> p[0] * Math.pow(compute, p[1]) + p[2]);
    }
  }

  /** L(N, D) = E + A/N^α + B/D^β. */
  public record Chinchilla(
      Estimate e,
      Estimate a,
      Estimate b,
      Estimate alpha,
      Estimate beta,
      int points,
      List<Integer> excluded,
      double huber,
      double[][] bootstrap) {
    public double predict(double params, double tokens) {
      return e.value()
          + a.value() / Math.pow(params, alpha.value())
          + b.value() / Math.pow(tokens, beta.value());
    }

    public Forecast forecast(double params, double tokens) {
      return ScalingFit.forecast(
          predict(params, tokens),
          bootstrap,
          p -> p[0] + p[1] / Math.pow(params, p[3]) + p[2] / Math.pow(tokens, p[4]));
    }

    /**
     * The compute-optimal split of a compute budget C = 6·N·D: N_opt = G·(C/6)^(β/(α+β)), D_opt =
     * (C/6)/N_opt, with G = (αA/(βB))^(1/(α+β)).
     */
    public double[] optimalAllocation(double compute) {
      double al = alpha.value();
      double be = beta.value();
      double g = Math.pow(al * a.value() / (be * b.value()), 1 / (al + be));
      double n = g * Math.pow(compute / 6, be / (al + be));
      return new double[] {n, compute / 6 / n};
    }
  }

  /**
   * Fits L(C) = a·C^b + c.
   *
   * @param compute training compute of each run (FLOPs, or any unit: a and the forecast follow it)
   * @param loss final loss of each run
   * @param resamples bootstrap resamples for the uncertainty (0 for none)
   * @throws IllegalArgumentException with fewer than four runs, or a non-positive value
   */
  public static PowerLaw powerLaw(double[] compute, double[] loss, int resamples, long seed) {
    check(compute.length == loss.length, "compute and loss differ in length");
    check(
        compute.length >= 4,
        "a power law with an offset needs four runs or more; got " + compute.length);
    for (int i = 0; i < compute.length; i++) {
      check(
          compute[i] > 0 && loss[i] > 0 && Double.isFinite(compute[i]) && Double.isFinite(loss[i]),
          "run "
              + i
              + " has compute "
              + compute[i]
              + " and loss "
              + loss[i]
              + "; both must be positive");
    }
    // x = ln(C / C0) keeps the exponentials in range; L = exp(p0 + p1·x) + exp(p2)
    double c0 = Math.exp(Arrays.stream(compute).map(Math::log).average().orElseThrow());
    double[] x = Arrays.stream(compute).map(c -> Math.log(c / c0)).toArray();
    double minLoss = Arrays.stream(loss).min().orElseThrow();
    List<double[]> starts = new ArrayList<>();
    for (double fraction : new double[] {0.0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.99}) {
      double offset = Math.max(fraction * minLoss, 1e-6);
      double[] line =
          regression(
              x, Arrays.stream(loss).map(l -> Math.log(Math.max(l - offset, 1e-9))).toArray());
      starts.add(new double[] {line[0], line[1], Math.log(offset)});
    }
    Model model = powerLawModel(x);
    double[] logLoss = Arrays.stream(loss).map(Math::log).toArray();
    Fitted best = bestOf(model, logLoss, starts);
    double[][] boot =
        bootstrap(model, logLoss, best.point, resamples, seed, ScalingFit::powerLawNatural, c0);
    double[] natural = powerLawNatural(best.point, c0);
    return new PowerLaw(
        estimate(natural, boot, 0),
        estimate(natural, boot, 1),
        estimate(natural, boot, 2),
        compute.length,
        best.huber,
        boot);
  }

  /** (p0, p1, p2) of the scaled model as (a, b, c) of L = a·C^b + c. */
  private static double[] powerLawNatural(double[] p, double c0) {
    return new double[] {Math.exp(p[0]) / Math.pow(c0, p[1]), p[1], Math.exp(p[2])};
  }

  private static Model powerLawModel(double[] x) {
    return (p, rows) -> {
      double[] value = new double[rows.length];
      double[][] jacobian = new double[rows.length][3];
      double offset = Math.exp(p[2]);
      for (int k = 0; k < rows.length; k++) {
        int i = rows[k];
        double term = Math.exp(p[0] + p[1] * x[i]);
        double l = term + offset;
        value[k] = Math.log(l);
        jacobian[k][0] = term / l;
        jacobian[k][1] = term * x[i] / l;
        jacobian[k][2] = offset / l;
      }
      return new Pair<>(value, jacobian);
    };
  }

  /**
   * Fits L(N, D) = E + A/N^α + B/D^β as log L = LSE(a − α·ln N, b − β·ln D, e), A = e^a, B = e^b, E
   * = e^e, from Hoffmann et al.'s grid of starting points.
   *
   * @throws IllegalArgumentException with fewer than six runs, or a non-positive value
   */
  public static Chinchilla chinchilla(
      double[] params, double[] tokens, double[] loss, int resamples, long seed) {
    return chinchilla(params, tokens, loss, Double.NaN, resamples, seed);
  }

  /**
   * The same fit, in two passes when {@code outlier} is a number: runs whose log-loss the first fit
   * misses by more than {@code outlier} (0.05: about 5%) are left out of the second. Hoffmann et
   * al.'s smallest budgets hold a few very large, very undertrained models that no curve of this
   * form meets; Epoch AI's replication also left such points out.
   */
  public static Chinchilla chinchilla(
      double[] params, double[] tokens, double[] loss, double outlier, int resamples, long seed) {
    Chinchilla all = chinchilla(params, tokens, loss, resamples, seed, List.of());
    if (Double.isNaN(outlier)) {
      return all;
    }
    List<Integer> excluded = new ArrayList<>();
    for (int i = 0; i < loss.length; i++) {
      if (Math.abs(Math.log(all.predict(params[i], tokens[i])) - Math.log(loss[i])) > outlier) {
        excluded.add(i);
      }
    }
    if (excluded.isEmpty()) {
      return all;
    }
    return chinchilla(params, tokens, loss, resamples, seed, excluded);
  }

  private static Chinchilla chinchilla(
      double[] allParams,
      double[] allTokens,
      double[] allLoss,
      int resamples,
      long seed,
      List<Integer> excluded) {
    double[] params = kept(allParams, excluded);
    double[] tokens = kept(allTokens, excluded);
    double[] loss = kept(allLoss, excluded);
    check(
        params.length == tokens.length && tokens.length == loss.length, "columns differ in length");
    check(
        params.length >= 6,
        "the Chinchilla form has five parameters: it needs six runs or more; got " + params.length);
    for (int i = 0; i < params.length; i++) {
      check(
          params[i] > 0 && tokens[i] > 0 && loss[i] > 0,
          "run " + i + " has a non-positive N, D or loss");
    }
    double[] lnN = Arrays.stream(params).map(Math::log).toArray();
    double[] lnD = Arrays.stream(tokens).map(Math::log).toArray();
    Model model = chinchillaModel(lnN, lnD);
    double[] logLoss = Arrays.stream(loss).map(Math::log).toArray();
    List<double[]> starts = new ArrayList<>();
    for (double a = 0; a <= 25; a += 5) {
      for (double b = 0; b <= 25; b += 5) {
        for (double e = -1; e <= 1; e += 0.5) {
          for (double alpha = 0; alpha <= 2; alpha += 0.5) {
            for (double beta = 0; beta <= 2; beta += 0.5) {
              starts.add(new double[] {a, b, e, alpha, beta});
            }
          }
        }
      }
    }
    Fitted best = bestOf(model, logLoss, starts);
    double[][] boot =
        bootstrap(
            model, logLoss, best.point, resamples, seed, (p, unused) -> chinchillaNatural(p), 0);
    double[] natural = chinchillaNatural(best.point);
    return new Chinchilla(
        estimate(natural, boot, 0),
        estimate(natural, boot, 1),
        estimate(natural, boot, 2),
        estimate(natural, boot, 3),
        estimate(natural, boot, 4),
        params.length,
        List.copyOf(excluded),
        best.huber,
        boot);
  }

  private static double[] kept(double[] values, List<Integer> excluded) {
    double[] kept = new double[values.length - excluded.size()];
    for (int i = 0, k = 0; i < values.length; i++) {
      if (!excluded.contains(i)) {
        kept[k++] = values[i];
      }
    }
    return kept;
  }

  /** (a, b, e, α, β) as (E, A, B, α, β). */
  private static double[] chinchillaNatural(double[] p) {
    return new double[] {Math.exp(p[2]), Math.exp(p[0]), Math.exp(p[1]), p[3], p[4]};
  }

  private static Model chinchillaModel(double[] lnN, double[] lnD) {
    return (p, rows) -> {
      double[] value = new double[rows.length];
      double[][] jacobian = new double[rows.length][5];
      for (int k = 0; k < rows.length; k++) {
        int i = rows[k];
        double t1 = p[0] - p[3] * lnN[i];
        double t2 = p[1] - p[4] * lnD[i];
        double t3 = p[2];
        double m = Math.max(t1, Math.max(t2, t3));
        double e1 = Math.exp(t1 - m);
        double e2 = Math.exp(t2 - m);
        double e3 = Math.exp(t3 - m);
        double sum = e1 + e2 + e3;
        value[k] = m + Math.log(sum);
        jacobian[k][0] = e1 / sum;
        jacobian[k][1] = e2 / sum;
        jacobian[k][2] = e3 / sum;
        jacobian[k][3] = -e1 / sum * lnN[i];
        jacobian[k][4] = -e2 / sum * lnD[i];
      }
      return new Pair<>(value, jacobian);
    };
  }

  /** A model of log loss: values and Jacobian at the given rows of the data. */
  @FunctionalInterface
  private interface Model {
    Pair<double[], double[][]> at(double[] point, int[] rows);
  }

  private record Fitted(double[] point, double huber) {}

  /**
   * The best Huber fit over the starting points: a short unweighted fit from each, the best few
   * refined.
   */
  private static Fitted bestOf(Model model, double[] logLoss, List<double[]> starts) {
    int[] all = new int[logLoss.length];
    Arrays.setAll(all, i -> i);
    List<Fitted> screened = new ArrayList<>();
    for (double[] start : starts) {
      try {
        double[] p = solve(model, logLoss, all, start, null, 60);
        screened.add(new Fitted(p, huber(model, logLoss, all, p)));
      } catch (RuntimeException diverged) {
        // a start from which the solver leaves the domain: the others cover it
      }
    }
    check(!screened.isEmpty(), "no starting point converged");
    screened.sort((u, v) -> Double.compare(u.huber, v.huber));
    Fitted best = null;
    for (Fitted candidate : screened.subList(0, Math.min(8, screened.size()))) {
      double[] p = irls(model, logLoss, all, candidate.point);
      Fitted refined = new Fitted(p, huber(model, logLoss, all, p));
      if (best == null || refined.huber < best.huber) {
        best = refined;
      }
    }
    return best;
  }

  /** Iteratively reweighted least squares with Huber weights: the Huber M-estimate. */
  private static double[] irls(Model model, double[] logLoss, int[] rows, double[] start) {
    double[] p = start.clone();
    for (int round = 0; round < IRLS_ROUNDS; round++) {
      double[] fitted = model.at(p, rows).getFirst();
      double[] weights = new double[rows.length];
      for (int k = 0; k < rows.length; k++) {
        double r = Math.abs(fitted[k] - logLoss[rows[k]]);
        weights[k] = r <= HUBER_DELTA ? 1 : HUBER_DELTA / r;
      }
      double[] next = solve(model, logLoss, rows, p, weights, 200);
      double change = 0;
      for (int j = 0; j < p.length; j++) {
        change = Math.max(change, Math.abs(next[j] - p[j]) / Math.max(1, Math.abs(p[j])));
      }
      p = next;
      if (change < 1e-9) {
        break;
      }
    }
    return p;
  }

  private static double[] solve(
      Model model, double[] logLoss, int[] rows, double[] start, double[] weights, int iterations) {
    double[] target = new double[rows.length];
    for (int k = 0; k < rows.length; k++) {
      target[k] = logLoss[rows[k]];
    }
    MultivariateJacobianFunction f =
        point -> {
          Pair<double[], double[][]> at = model.at(point.toArray(), rows);
          RealVector value = new ArrayRealVector(at.getFirst(), false);
          RealMatrix jacobian = new Array2DRowRealMatrix(at.getSecond(), false);
          return new Pair<>(value, jacobian);
        };
    LeastSquaresBuilder problem =
        new LeastSquaresBuilder()
            .start(start)
            .model(f)
            .target(target)
            .maxEvaluations(iterations * 4)
            .maxIterations(iterations);
    if (weights != null) {
      problem.weight(new DiagonalMatrix(weights));
    }
    double[] p = LM.optimize(problem.build()).getPoint().toArray();
    for (double v : p) {
      if (!Double.isFinite(v)) {
        throw new IllegalStateException("diverged");
      }
    }
    return p;
  }

  /** Mean Huber loss of the log residuals. */
  static double huber(Model model, double[] logLoss, int[] rows, double[] p) {
    double[] fitted = model.at(p, rows).getFirst();
    double total = 0;
    for (int k = 0; k < rows.length; k++) {
      double r = Math.abs(fitted[k] - logLoss[rows[k]]);
      total += r <= HUBER_DELTA ? 0.5 * r * r : HUBER_DELTA * (r - 0.5 * HUBER_DELTA);
    }
    return total / rows.length;
  }

  @FunctionalInterface
  private interface Natural {
    double[] of(double[] point, double scale);
  }

  /**
   * Refits on resampled points from the best fit; each row is one resample's natural parameters.
   */
  private static double[][] bootstrap(
      Model model,
      double[] logLoss,
      double[] best,
      int resamples,
      long seed,
      Natural natural,
      double scale) {
    SplittableRandom random = new SplittableRandom(seed);
    List<double[]> fits = new ArrayList<>();
    for (int b = 0; b < resamples; b++) {
      int[] rows = new int[logLoss.length];
      for (int k = 0; k < rows.length; k++) {
        rows[k] = random.nextInt(logLoss.length);
      }
      try {
        fits.add(natural.of(irls(model, logLoss, rows, best), scale));
      } catch (RuntimeException diverged) {
        // a degenerate resample (too few distinct points): left out
      }
    }
    return fits.toArray(new double[0][]);
  }

  private static Estimate estimate(double[] natural, double[][] boot, int j) {
    if (boot.length < 2) {
      return new Estimate(natural[j], Double.NaN, Double.NaN, Double.NaN);
    }
    double[] values = Arrays.stream(boot).mapToDouble(r -> r[j]).sorted().toArray();
    double mean = Arrays.stream(values).average().orElseThrow();
    double var =
        Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum() / (values.length - 1);
    return new Estimate(
        natural[j], Math.sqrt(var), percentile(values, 0.025), percentile(values, 0.975));
  }

  private static Forecast forecast(double value, double[][] boot, Function<double[], Double> at) {
    if (boot.length < 2) {
      return new Forecast(value, Double.NaN, Double.NaN);
    }
    double[] values =
        Arrays.stream(boot).mapToDouble(at::apply).filter(Double::isFinite).sorted().toArray();
    return new Forecast(value, percentile(values, 0.025), percentile(values, 0.975));
  }

  private static double percentile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  /** Ordinary least squares y = b0 + b1·x. */
  private static double[] regression(double[] x, double[] y) {
    double mx = Arrays.stream(x).average().orElseThrow();
    double my = Arrays.stream(y).average().orElseThrow();
    double sxy = 0;
    double sxx = 0;
    for (int i = 0; i < x.length; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
    }
    double slope = sxx == 0 ? 0 : sxy / sxx;
    return new double[] {my - slope * mx, slope};
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
