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
 * @param maxMessageBytes the largest record batch the topic accepts ({@code max.message.bytes})
 */
public record TopicBinding<K, V>(
    String name,
    Serde<K> keySerde,
    Serde<V> valueSerde,
    int partitions,
    CleanupPolicy cleanup,
    Duration retention,
    int maxMessageBytes) {

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
      throw new IllegalArgumentException(
          "topic " + name + ": partitions must be >= 1, was " + partitions);
    }
    if (retention != null && (retention.isNegative() || retention.isZero())) {
      throw new IllegalArgumentException(
          "topic " + name + ": retention must be positive or null (forever)");
    }
    if (maxMessageBytes < 1024) {
      throw new IllegalArgumentException("topic " + name + ": max message bytes must be >= 1024");
    }
  }

  /** The same binding with another partition count (for a deployment that needs more). */
  public TopicBinding<K, V> withPartitions(int count) {
    return new TopicBinding<>(
        name, keySerde, valueSerde, count, cleanup, retention, maxMessageBytes);
  }

  /** The same binding with another retention; {@code null} keeps records forever. */
  public TopicBinding<K, V> withRetention(Duration keep) {
    return new TopicBinding<>(
        name, keySerde, valueSerde, partitions, cleanup, keep, maxMessageBytes);
  }

  /** A value in this topic's wire format. */
  public byte[] serialize(V value) {
    return valueSerde.serializer().serialize(name, value);
  }

  /**
   * A value from this topic's wire format.
   *
   * @throws org.apache.kafka.common.errors.SerializationException if the bytes do not decode
   */
  public V deserialize(byte[] bytes) {
    return valueSerde.deserializer().deserialize(name, bytes);
  }

  /** Topic-level configuration to create the topic with. */
  public Map<String, String> configs() {
    Map<String, String> configs = new LinkedHashMap<>();
    configs.put("cleanup.policy", cleanup.config());
    configs.put("retention.ms", retention == null ? "-1" : Long.toString(retention.toMillis()));
    configs.put("max.message.bytes", Integer.toString(maxMessageBytes));
    return Map.copyOf(configs);
  }

  @Override
  public String toString() {
    return name;
  }
}
