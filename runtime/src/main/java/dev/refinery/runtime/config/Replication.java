package dev.refinery.runtime.config;

import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * How many copies of every topic the cluster keeps, and how many must have a write before it is
 * acknowledged: {@code topics.replication.factor} (default: 3, or the number of brokers when there
 * are fewer) and {@code topics.min.insync.replicas} (default: one less than the replication factor,
 * at least 1). With producers on {@code acks=all}, a write then survives the loss of any one broker
 * and the cluster keeps taking writes while one is down. They apply to the catalog's topics and to
 * the Kafka Streams stages' internal topics alike, never the broker's defaults.
 *
 * @param factor the replication factor, or -1 for min(3, brokers)
 * @param minInsyncReplicas the minimum in-sync replicas, or -1 for the factor less one
 */
public record Replication(int factor, int minInsyncReplicas) {
  public static final String FACTOR = "topics.replication.factor";
  public static final String MIN_INSYNC_REPLICAS = "topics.min.insync.replicas";

  /** The defaults, resolved against the cluster. */
  public static final Replication AUTO = new Replication(-1, -1);

  /** Adds the two settings to a module's definition. */
  public static ConfigDef define(ConfigDef definition) {
    return definition
        .define(
            FACTOR,
            ConfigDef.Type.INT,
            -1,
            ConfigDef.Range.between(-1, 32),
            ConfigDef.Importance.HIGH,
            "Replication factor of every topic Refinery creates (the catalog's and the Kafka"
                + " Streams stages' internal ones); -1: 3, or the number of brokers if fewer.")
        .define(
            MIN_INSYNC_REPLICAS,
            ConfigDef.Type.INT,
            -1,
            ConfigDef.Range.between(-1, 32),
            ConfigDef.Importance.HIGH,
            "min.insync.replicas of every topic Refinery creates; -1: the replication factor less"
                + " one, at least 1.");
  }

  /** Reads what {@link #define} defined. */
  public static Replication from(AbstractConfig config) {
    return new Replication(config.getInt(FACTOR), config.getInt(MIN_INSYNC_REPLICAS));
  }

  /**
   * The settings for a cluster of {@code brokers} brokers.
   *
   * @throws ConfigException naming the setting that the cluster cannot satisfy
   */
  public Replication resolve(int brokers) {
    int f = factor > 0 ? factor : Math.max(1, Math.min(3, brokers));
    if (f > brokers) {
      throw new ConfigException(
          FACTOR, f, "the cluster has " + brokers + " broker(s): at most " + brokers + " copies");
    }
    int m = minInsyncReplicas > 0 ? minInsyncReplicas : Math.max(1, f - 1);
    if (m > f) {
      throw new ConfigException(
          MIN_INSYNC_REPLICAS,
          m,
          "more than the replication factor " + f + ": no write would pass");
    }
    return new Replication(f, m);
  }

  /** The settings for the cluster an admin client reaches. */
  public Replication resolve(Admin admin) {
    if (factor > 0 && minInsyncReplicas > 0) {
      return resolve(factor);
    }
    try {
      return resolve(admin.describeCluster().nodes().get(60, TimeUnit.SECONDS).size());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing the cluster", e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot count the cluster's brokers: " + e.getMessage(), e);
    }
  }
}
