package dev.refinery.bridge;

import dev.refinery.config.RefineryConfig;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of the trainer-bridge ({@code bridge.*}, plus {@code bootstrap.servers}). */
public final class BridgeConfig extends RefineryConfig {
  public static final String STREAMS = "bridge.streams";
  public static final String CLIENT_ID = "bridge.client.id";

  public static final ConfigDef DEFINITION =
      withBootstrapServers(new ConfigDef())
          .define(
              STREAMS,
              Type.LIST,
              "main",
              Importance.HIGH,
              "Token streams to read (tokens.<stream>.v1).")
          .define(
              CLIENT_ID,
              Type.STRING,
              "refinery-bridge",
              Importance.LOW,
              "Kafka client id of the consumer.");

  public BridgeConfig(Map<String, ?> values) {
    super(DEFINITION, values, "bridge.");
    requireStreamNames(STREAMS);
  }

  public List<String> streams() {
    return getList(STREAMS);
  }

  public String clientId() {
    return getString(CLIENT_ID);
  }
}
