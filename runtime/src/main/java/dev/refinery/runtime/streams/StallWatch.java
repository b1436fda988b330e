package dev.refinery.runtime.streams;

import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Tells a stage that runs from one that only says it does: the stage is stalled when it has input
 * waiting (consumer lag above zero) and has processed nothing for a while. A Kafka Streams
 * application in that state stays RUNNING (after a broker crash it can wait for ever on unstable
 * offsets of a transaction left open), so its health goes DOWN (503) with the reason, for an
 * orchestrator to restart it and an operator to see.
 */
public final class StallWatch {
  private final long timeoutNanos;
  private long processed = -1;
  private long lastProgress;

  public StallWatch(Duration timeout, long nowNanos) {
    this.timeoutNanos = timeout.toNanos();
    this.lastProgress = nowNanos;
  }

  /** What the last observation found. */
  public record Verdict(boolean stalled, long lag, long processed, Duration idle) {}

  /**
   * Records the processed count and lag now.
   *
   * @return stalled when the count has not moved for the timeout while the lag is above zero
   */
  public synchronized Verdict observe(long processedTotal, long lag, long nowNanos) {
    if (processedTotal != processed || lag <= 0) {
      processed = processedTotal;
      lastProgress = nowNanos;
    }
    long idle = nowNanos - lastProgress;
    return new Verdict(
        lag > 0 && timeoutNanos > 0 && idle >= timeoutNanos,
        lag,
        processedTotal,
        Duration.ofNanos(idle));
  }

  /** Records processed by the application's stream threads, from its metrics. */
  public static long processed(Map<MetricName, ? extends Metric> metrics) {
    return (long) sum(metrics, "process-total", "stream-thread-metrics");
  }

  /** Records waiting on the application's input partitions, from its consumers' metrics. */
  public static long lag(Map<MetricName, ? extends Metric> metrics) {
    return lag(metrics, topic -> true);
  }

  /**
   * Records waiting on the partitions of the input topics {@code topics} accepts, from the
   * consumers' metrics of each partition.
   */
  public static long lag(Map<MetricName, ? extends Metric> metrics, Predicate<String> topics) {
    return (long)
        sum(
            metrics,
            "records-lag",
            "consumer-fetch-manager-metrics",
            name -> topics.test(name.tags().getOrDefault("topic", "")));
  }

  private static double sum(Map<MetricName, ? extends Metric> metrics, String name, String group) {
    return sum(metrics, name, group, m -> true);
  }

  private static double sum(
      Map<MetricName, ? extends Metric> metrics,
      String name,
      String group,
      Predicate<MetricName> which) {
    double total = 0;
    for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
      if (e.getKey().name().equals(name)
          && e.getKey().group().equals(group)
          && which.test(e.getKey())
          && e.getValue().metricValue() instanceof Number n
          && Double.isFinite(n.doubleValue())) {
        total += n.doubleValue();
      }
    }
    return total;
  }
}
