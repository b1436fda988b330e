package dev.refinery.runtime.config;

import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Base of every module's typed configuration: a Kafka {@link ConfigDef} (type, default, validator,
 * doc per setting) whose values come from, lowest precedence first, the defaults, a properties
 * file, the environment and explicit overrides (command-line flags).
 *
 * <p>An environment variable names a setting in upper case with {@code .} and {@code -} as {@code
 * _} under {@code REFINERY_}: {@code dedup.min.words} is {@code REFINERY_DEDUP_MIN_WORDS}.
 *
 * <p>Settings under the module's prefix that the module does not define are refused, so a typo in a
 * file is an error naming the setting, not a silently ignored line.
 */
public abstract class RefineryConfig extends AbstractConfig {
  /** Shared by every stage: where the Kafka cluster is. */
  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";

  public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";

  /** Suffix, under a stage's prefix, of how many bytes of a rejected input it keeps. */
  public static final String REJECTED_MAX_BYTES = "rejected.original.max.bytes";

  private final ConfigDef definition;
  private final String prefix;
  private final KafkaClients kafka;

  protected RefineryConfig(ConfigDef definition, Map<String, ?> values, String prefix) {
    this(definition, values, prefix, Set.of());
  }

  /**
   * @param openPrefixes prefixes under the module's prefix whose keys the module reads itself (a
   *     setting per source, say), so they are not refused as unknown
   */
  protected RefineryConfig(
      ConfigDef definition, Map<String, ?> values, String prefix, Set<String> openPrefixes) {
    super(definition, values, false);
    this.definition = definition;
    this.prefix = prefix;
    Set<String> unknown = new TreeSet<>();
    for (String key : values.keySet()) {
      if (key.startsWith(prefix)
          && !definition.names().contains(key)
          && openPrefixes.stream().noneMatch(key::startsWith)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new ConfigException(
          "unknown setting(s) "
              + unknown
              + "; the "
              + prefix
              + "* settings are "
              + new TreeSet<>(definition.names()));
    }
    this.kafka =
        definition.names().contains(BOOTSTRAP_SERVERS)
            ? KafkaClients.from(getString(BOOTSTRAP_SERVERS), values)
            : null;
  }

  /**
   * The settings of this module's Kafka clients: the cluster and the {@code kafka.*} settings
   * passed through, checked when this configuration was built.
   */
  public KafkaClients kafka() {
    if (kafka == null) {
      throw new IllegalStateException(prefix + "* settings name no Kafka cluster");
    }
    return kafka;
  }

  /** The settings this configuration defines: name, type, default, validator, documentation. */
  public ConfigDef definition() {
    return definition;
  }

  /** Adds {@code bootstrap.servers} to a definition. */
  protected static ConfigDef withBootstrapServers(ConfigDef definition) {
    return definition.define(
        BOOTSTRAP_SERVERS,
        ConfigDef.Type.STRING,
        DEFAULT_BOOTSTRAP_SERVERS,
        new ConfigDef.NonEmptyString(),
        ConfigDef.Importance.HIGH,
        "Kafka bootstrap servers, host:port[,host:port...]. The default is the broker of `refinery up`.");
  }

  /**
   * Adds {@code <prefix>rejected.original.max.bytes} to a stage's definition: how many bytes of a
   * rejected input go onto corpus.rejected.v1 with its reason.
   */
  protected static ConfigDef withRejectedMaxBytes(ConfigDef definition, String prefix) {
    return definition.define(
        prefix + REJECTED_MAX_BYTES,
        ConfigDef.Type.INT,
        64 * 1024,
        ConfigDef.Range.between(0, 1024 * 1024),
        ConfigDef.Importance.LOW,
        "How many bytes of a rejected input are kept on corpus.rejected.v1 (original_size keeps the"
            + " full size).");
  }

  /**
   * Checks that a list setting holds token stream names.
   *
   * @throws ConfigException naming the setting and the name that is not one
   */
  protected void requireStreamNames(String key) {
    for (String stream : getList(key)) {
      try {
        Topics.checkStream(stream);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key, stream, e.getMessage());
      }
    }
  }

  /** How many bytes of a rejected input this stage keeps, if it defines the setting. */
  public int rejectedMaxBytes() {
    return getInt(prefix + REJECTED_MAX_BYTES);
  }

  public String bootstrapServers() {
    return getString(BOOTSTRAP_SERVERS);
  }

  /**
   * Merges the sources of settings: {@code file} (may be {@code null}), then the environment
   * variables of the settings {@code definition} names, then {@code overrides}.
   */
  public static Map<String, String> sources(
      ConfigDef definition,
      Path file,
      Map<String, String> environment,
      Map<String, String> overrides) {
    Map<String, String> values = new TreeMap<>(readProperties(file));
    for (String key : definition.names()) {
      String fromEnv = environment.get(environmentName(key));
      if (fromEnv != null) {
        values.put(key, fromEnv);
      }
    }
    // Kafka client settings: REFINERY_KAFKA_SSL_TRUSTSTORE_LOCATION is
    // kafka.ssl.truststore.location
    // API tokens: REFINERY_INGEST_TOKEN_PUSHER is ingest.token.pusher (a Secret's variable)
    environment.forEach(
        (name, value) -> {
          int token = name.indexOf("_TOKEN_");
          if (name.startsWith("REFINERY_") && token > "REFINERY_".length()) {
            values.put(
                name.substring("REFINERY_".length(), token).toLowerCase(Locale.ROOT)
                    + ".token."
                    + name.substring(token + "_TOKEN_".length())
                        .toLowerCase(Locale.ROOT)
                        .replace('_', '-'),
                value);
          }
          if (name.startsWith("REFINERY_KAFKA_")) {
            values.put(
                KafkaClients.PREFIX
                    + name.substring("REFINERY_KAFKA_".length())
                        .toLowerCase(Locale.ROOT)
                        .replace('_', '.'),
                value);
          }
        });
    values.putAll(overrides);
    return values;
  }

  /** The environment variable for a setting: {@code REFINERY_} and the key in upper snake case. */
  public static String environmentName(String key) {
    return "REFINERY_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** Reads a properties file (UTF-8); {@code null} reads nothing. */
  public static Map<String, String> readProperties(Path file) {
    Map<String, String> values = new TreeMap<>();
    if (file == null) {
      return values;
    }
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
    }
    properties.stringPropertyNames().forEach(k -> values.put(k, properties.getProperty(k).trim()));
    return values;
  }
}
