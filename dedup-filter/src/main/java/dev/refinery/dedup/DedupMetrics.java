package dev.refinery.dedup;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The stage's counters, as Prometheus metrics: {@code refinery_dedup_documents_in_total}, {@code
 * refinery_dedup_documents_clean_total}, {@code refinery_dedup_rejected_total} by rule and reason,
 * {@code refinery_dedup_replays_total}, {@code refinery_dedup_bad_takedowns_total}, and {@code
 * refinery_dedup_duplicate_ratio}: the rejections of the {@code exact_dedup}, {@code url_dedup} and
 * {@code near_dedup} rules over the documents that reached dedup (not rejected before it).
 */
public final class DedupMetrics {
  private static final Set<String> DUPLICATE_RULES =
      Set.of("exact_dedup", "url_dedup", "near_dedup");

  private final MeterRegistry registry;
  private final Counter in;
  private final Counter clean;
  private final Counter replays;
  private final Counter badTakedowns;

  public DedupMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.in =
        Counter.builder("refinery.dedup.documents.in")
            .description("Records read from corpus.raw.v1")
            .register(registry);
    this.clean =
        Counter.builder("refinery.dedup.documents.clean")
            .description("Documents written to corpus.clean.v1")
            .register(registry);
    this.replays =
        Counter.builder("refinery.dedup.replays")
            .description("Documents seen again with the same id and text, dropped")
            .register(registry);
    this.badTakedowns =
        Counter.builder("refinery.dedup.bad.takedowns")
            .description("Records on corpus.takedowns.v1 that are not takedowns, skipped")
            .register(registry);
    Gauge.builder("refinery.dedup.duplicate.ratio", this, DedupMetrics::duplicateRatio)
        .description("Duplicates rejected over documents that reached dedup")
        .register(registry);
  }

  /** Counters kept in memory only (tests, one-off runs). */
  public static DedupMetrics inMemory() {
    return new DedupMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  void in() {
    in.increment();
  }

  void clean() {
    clean.increment();
  }

  void replay() {
    replays.increment();
  }

  void badTakedown() {
    badTakedowns.increment();
  }

  void rejected(String rule, String reason) {
    Counter.builder("refinery.dedup.rejected")
        .description("Documents rejected to corpus.rejected.v1")
        .tag("rule", rule == null ? "none" : rule)
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  public long documentsIn() {
    return (long) in.count();
  }

  public long documentsClean() {
    return (long) clean.count();
  }

  public long replaysDropped() {
    return (long) replays.count();
  }

  /** Duplicates over documents that reached dedup (clean, duplicates and replays); 0 before any. */
  public double duplicateRatio() {
    double duplicates = 0;
    for (Counter c : registry.find("refinery.dedup.rejected").counters()) {
      if (DUPLICATE_RULES.contains(c.getId().getTag("rule"))) {
        duplicates += c.count();
      }
    }
    double reached = duplicates + clean.count() + replays.count();
    return reached == 0 ? 0 : duplicates / reached;
  }

  public Map<String, Long> rejectedByReason() {
    Map<String, Long> out = new TreeMap<>();
    registry
        .find("refinery.dedup.rejected")
        .counters()
        .forEach(c -> out.merge(c.getId().getTag("reason"), (long) c.count(), Long::sum));
    return out;
  }
}
