package dev.refinery.feedback;

import dev.refinery.schemas.LabelerStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The feedback service's Prometheus figures: gateway requests, joiner outcomes, agreement. */
public final class FeedbackMetrics {
  private final MeterRegistry registry;
  private final Map<String, LabelerStats> labelers = new ConcurrentHashMap<>();

  public FeedbackMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void request(String endpoint, int status, long nanos) {
    Timer.builder("refinery.feedback.requests")
        .description("Gateway requests by endpoint and status, with latency")
        .tag("endpoint", endpoint)
        .tag("status", Integer.toString(status))
        .publishPercentiles(0.5, 0.99)
        .register(registry)
        .record(java.time.Duration.ofNanos(nanos));
  }

  void transaction(int requests, long nanos) {
    Timer.builder("refinery.feedback.transactions")
        .description("Gateway transactions (begin to commit), each holding the requests waiting")
        .publishPercentiles(0.5, 0.99)
        .register(registry)
        .record(java.time.Duration.ofNanos(nanos));
    io.micrometer.core.instrument.DistributionSummary.builder(
            "refinery.feedback.transaction.requests")
        .description("Requests committed together in one gateway transaction")
        .register(registry)
        .record(requests);
  }

  void written(String kind, String tool, int count) {
    Counter.builder("refinery.feedback.written")
        .description("Records the gateway wrote, by kind (sample, label, judgement) and tool")
        .tag("kind", kind)
        .tag("tool", tool)
        .register(registry)
        .increment(count);
  }

  void pairs(String origin, int count) {
    Counter.builder("refinery.feedback.pairs")
        .description("Reward-model pairs the joiner wrote, by origin (HUMAN, RBRM)")
        .tag("origin", origin)
        .register(registry)
        .increment(count);
  }

  void joined(String outcome) {
    Counter.builder("refinery.feedback.joined")
        .description(
            "Joiner inputs by outcome: sample, label, judgement, replay (an update no newer than"
                + " the stored one), waiting (a label or judgement before its sample), duplicate_sample")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  void rejected(String reason) {
    Counter.builder("refinery.feedback.rejected")
        .description("Records the joiner sent to corpus.rejected.v1 (stage FEEDBACK), by reason")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  /** Records a labeler's latest totals and registers its gauges the first time. */
  void labeler(LabelerStats stats) {
    String labeler = stats.getLabeler();
    if (labelers.put(labeler, stats) == null) {
      Gauge.builder(
              "refinery.feedback.labeler.agreement", labelers, m -> ratio(m.get(labeler), false))
          .description("Share of compared completion pairs on which the labeler agrees with peers")
          .tag("labeler", labeler)
          .tag("against", "peers")
          .register(registry);
      Gauge.builder(
              "refinery.feedback.labeler.agreement", labelers, m -> ratio(m.get(labeler), true))
          .description(
              "Share of compared completion pairs on which the labeler agrees with gold labels")
          .tag("labeler", labeler)
          .tag("against", "gold")
          .register(registry);
      Gauge.builder("refinery.feedback.labeler.labels", labelers, m -> m.get(labeler).getLabels())
          .description("Labels of the labeler (latest revision of each)")
          .tag("labeler", labeler)
          .register(registry);
    }
  }

  /** The latest totals of every labeler this instance aggregates. */
  public Map<String, LabelerStats> labelers() {
    return Map.copyOf(labelers);
  }

  static double ratio(LabelerStats s, boolean gold) {
    long pairs = gold ? s.getGoldPairs() : s.getPeerPairs();
    return pairs == 0
        ? Double.NaN
        : (double) (gold ? s.getGoldAgreed() : s.getPeerAgreed()) / pairs;
  }
}
