package dev.refinery.infra;

import dev.refinery.runtime.config.RefineryConfig;
import dev.refinery.runtime.config.Replication;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/**
 * How Refinery provisions its topics on a cluster: their replication ({@link Replication}) and
 * whether an existing topic whose configs differ from the catalog is set back ({@code
 * topics.alter.configs}) or reported and refused.
 */
public final class TopicsConfig extends RefineryConfig {
  public static final String ALTER_CONFIGS = "topics.alter.configs";

  public static final ConfigDef DEFINITION =
      Replication.define(withBootstrapServers(new ConfigDef()))
          .define(
              ALTER_CONFIGS,
              ConfigDef.Type.BOOLEAN,
              false,
              ConfigDef.Importance.MEDIUM,
              "Set back the configs (retention, cleanup, min ISR) of existing topics that differ"
                  + " from the catalog; false: report them and stop, for an operator to decide."
                  + " The embedded broker's topics are always set back.");

  public TopicsConfig(Map<String, ?> values) {
    super(DEFINITION, values, "topics.");
  }

  public Replication replication() {
    return Replication.from(this);
  }

  public boolean alterConfigs() {
    return getBoolean(ALTER_CONFIGS);
  }
}
