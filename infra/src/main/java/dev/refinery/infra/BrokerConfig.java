package dev.refinery.infra;

import dev.refinery.runtime.config.RefineryConfig;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of the embedded KRaft broker ({@code broker.*}). */
public final class BrokerConfig extends RefineryConfig {
  public static final String PORT = "broker.port";
  public static final String CONTROLLER_PORT = "broker.controller.port";
  public static final String HOST = "broker.host";
  public static final String DATA_DIR = "broker.data.dir";

  public static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(
              PORT,
              Type.INT,
              9092,
              Range.between(0, 65535),
              Importance.HIGH,
              "Port of the PLAINTEXT listener clients connect to; 0 picks a free port.")
          .define(
              CONTROLLER_PORT,
              Type.INT,
              0,
              Range.between(0, 65535),
              Importance.LOW,
              "Port of the KRaft controller listener; 0 picks a free port.")
          .define(
              HOST,
              Type.STRING,
              "localhost",
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Host name the broker binds and advertises.")
          .define(
              DATA_DIR,
              Type.STRING,
              ".refinery/kafka",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Folder of the broker's log and metadata; kept across restarts, so topics survive.");

  public BrokerConfig(Map<String, ?> values) {
    super(DEFINITION, values, "broker.");
  }

  public int port() {
    return getInt(PORT);
  }

  public int controllerPort() {
    return getInt(CONTROLLER_PORT);
  }

  public String host() {
    return getString(HOST);
  }

  public Path dataDir() {
    return Path.of(getString(DATA_DIR));
  }
}
