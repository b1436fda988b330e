package dev.refinery.scaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.refinery.infra.testing.SharedData;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ScalingFitTest {
  @Test
  void recoversAKnownPowerLawAndForecastsTenfoldCompute() {
    // L = 400·C^-0.15 + 1.7, with 0.5% noise, over three decades of compute
    SplittableRandom random = new SplittableRandom(3);
    int n = 24;
    double[] c = new double[n];
    double[] l = new double[n];
    for (int i = 0; i < n; i++) {
      c[i] = 1e17 * Math.pow(10, 3.0 * i / (n - 1));
      l[i] = (400 * Math.pow(c[i], -0.15) + 1.7) * (1 + 0.005 * (random.nextDouble() * 2 - 1));
    }
    ScalingFit.PowerLaw fit = ScalingFit.powerLaw(c, l, 100, 7);
    assertThat(fit.b().value()).isCloseTo(-0.15, within(0.03));
    assertThat(fit.c().value()).isCloseTo(1.7, within(0.15));
    double target = 1e21;
    double truth = 400 * Math.pow(target, -0.15) + 1.7;
    ScalingFit.Forecast forecast = fit.forecast(target);
    assertThat(forecast.value()).isCloseTo(truth, within(0.01 * truth));
    assertThat(forecast.low()).isLessThanOrEqualTo(forecast.value());
    assertThat(forecast.high()).isGreaterThanOrEqualTo(forecast.value());
  }

  @Test
  void refusesWhatCannotBeFitted() {
    assertThatThrownBy(
            () -> ScalingFit.powerLaw(new double[] {1, 2, 3}, new double[] {3, 2, 1}, 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("four runs");
    assertThatThrownBy(
            () -> ScalingFit.powerLaw(new double[] {1, 2, 3, -4}, new double[] {3, 2, 1, 1}, 0, 1))
        .hasMessageContaining("positive");
  }

  /** The Chinchilla paper's runs, as Epoch AI extracted them from its figure. */
  static List<ScalingPoints.Point> chinchillaRuns() {
    Path csv = SharedData.file("scaling/chinchilla-svg-extracted.csv");
    return ScalingPoints.read(csv);
  }

  @Test
  void theChinchillaFormRecoversEpochAisReplication() {
    List<ScalingPoints.Point> runs = chinchillaRuns();
    double[] n = runs.stream().mapToDouble(ScalingPoints.Point::params).toArray();
    double[] d = runs.stream().mapToDouble(ScalingPoints.Point::tokens).toArray();
    double[] l = runs.stream().mapToDouble(ScalingPoints.Point::loss).toArray();
    ScalingFit.Chinchilla fit = ScalingFit.chinchilla(n, d, l, 0.05, 60, 11);
    // Besiroglu et al. 2024: E = 1.82 (SE 0.03), α = 0.3478 (SE 0.02), β = 0.3658 (SE 0.02)
    assertThat(fit.e().value()).isCloseTo(1.82, within(0.03));
    assertThat(fit.alpha().value()).isCloseTo(0.3478, within(0.02));
    assertThat(fit.beta().value()).isCloseTo(0.3658, within(0.02));
    assertThat(fit.excluded()).hasSizeLessThanOrEqualTo(5);
    assertThat(fit.e().stderr()).isPositive().isLessThan(0.2);
  }

  @Test
  void aPowerLawOnTheSmallerRunsPredictsTheLargestWithinTwoPercent() {
    // the compute-optimal frontier: each run that beats every run of less compute
    List<ScalingPoints.Point> frontier = ScalingPoints.frontier(chinchillaRuns());
    ScalingPoints.Point largest = frontier.get(frontier.size() - 1);
    for (double ratio : new double[] {10, 100}) {
      List<ScalingPoints.Point> small =
          frontier.stream().filter(p -> p.compute() <= largest.compute() / ratio).toList();
      ScalingFit.PowerLaw fit =
          ScalingFit.powerLaw(
              small.stream().mapToDouble(ScalingPoints.Point::compute).toArray(),
              small.stream().mapToDouble(ScalingPoints.Point::loss).toArray(),
              50,
              5);
      double predicted = fit.predict(largest.compute());
      assertThat(Math.abs(predicted / largest.loss() - 1))
          .as(
              "forecast from runs with %.0fx less compute: %.4f vs %.4f",
              ratio, predicted, largest.loss())
          .isLessThan(0.02);
    }
  }
}
