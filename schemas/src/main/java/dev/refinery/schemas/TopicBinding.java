package dev.refinery.schemas;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * An immutable binding of a topic name to its key and value types, their serdes, and how the topic
 * is provisioned. Every module names topics through {@link Topics}, never with a string literal.
 *
 * @param name topic name, {@code <domain>.<what>.v<major>}
 * @param keySerde serde of the record keys
 * @param valueSerde serde of the record values
 * @param partitions partitions to create the topic with
 * @param cleanup cleanup policy
 * @param retention how long records are kept; {@code null} keeps them forever
 */
public record TopicBinding<K, V>(
    String name,
    Serde<K> keySerde,
    Serde<V> valueSerde,
    int partitions,
    CleanupPolicy cleanup,
    Duration retention) {

  public TopicBinding {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keySerde, "keySerde");
    Objects.requireNonNull(valueSerde, "valueSerde");
    Objects.requireNonNull(cleanup, "cleanup");
    if (!name.matches("[a-z][a-z0-9-]*(\\.[a-z0-9][a-z0-9_-]*)*\\.v[0-9]+")) {
      throw new IllegalArgumentException(
          "topic name '" + name + "' is not <domain>.<what>.v<major> in lower case");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("topic " + name + ": partitions must be >= 1, was " + partitions);
    }
    if (retention != null && (retention.isNegative() || retention.isZero())) {
      throw new IllegalArgumentException("topic " + name + ": retention must be positive or null (forever)");
    }
  }

  /** The same binding with another partition count (for a deployment that needs more). */
  public TopicBinding<K, V> withPartitions(int count) {
    return new TopicBinding<>(name, keySerde, valueSerde, count, cleanup, retention);
  }

  /** The same binding with another retention; {@code null} keeps records forever. */
  public TopicBinding<K, V> withRetention(Duration keep) {
    return new TopicBinding<>(name, keySerde, valueSerde, partitions, cleanup, keep);
  }

  /** Topic-level configuration to create the topic with. */
  public Map<String, String> configs() {
    Map<String, String> configs = new LinkedHashMap<>();
    configs.put("cleanup.policy", cleanup.config());
    configs.put("retention.ms", retention == null ? "-1" : Long.toString(retention.toMillis()));
    return Map.copyOf(configs);
  }

  @Override
  public String toString() {
    return name;
  }
}
