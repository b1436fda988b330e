package dev.refinery.runtime.http;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The metrics registry every service serves at {@code GET /metrics}. */
public final class Metrics {
  private Metrics() {}

  /** A Prometheus registry, as {@code /metrics} serves it. */
  public static PrometheusMeterRegistry registry() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }
}
