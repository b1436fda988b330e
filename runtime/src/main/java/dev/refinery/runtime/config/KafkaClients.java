package dev.refinery.runtime.config;

import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The settings every Kafka client of a service is built with: the cluster ({@code
 * bootstrap.servers}) and whatever a secured or tuned cluster needs, passed through from {@code
 * kafka.*} settings: {@code kafka.<client setting>} for every client (TLS, SASL, timeouts), {@code
 * kafka.producer.*}, {@code kafka.consumer.*}, {@code kafka.admin.*} and {@code kafka.streams.*}
 * for one kind of client. Each is checked against Kafka's own definition of that client's settings
 * when the configuration is read, so a misspelt key or a bad value is an error naming it, never a
 * setting silently ignored.
 *
 * <pre>
 * kafka.security.protocol=SASL_SSL
 * kafka.sasl.mechanism=SCRAM-SHA-512
 * kafka.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="refinery-ingest" password="...";
 * kafka.ssl.truststore.location=/etc/refinery/truststore.p12
 * kafka.producer.linger.ms=20
 * </pre>
 *
 * Settings a stage relies on for its guarantees ({@code enable.idempotence}, {@code
 * isolation.level}, {@code transactional.id}, serializers, {@code processing.guarantee}) are the
 * stage's: a {@code kafka.*} setting of one of them is refused. Where a stage sets a client setting
 * itself (its commit interval, say), the stage's value wins; change it with the stage's setting.
 * Where it only tunes one (a producer's compression, linger and batch size), a {@code kafka.*}
 * setting wins.
 */
public final class KafkaClients {
  /** The prefix of Kafka client settings. */
  public static final String PREFIX = "kafka.";

  /** A kind of client, with the prefix of its own settings. */
  public enum Role {
    PRODUCER(ProducerConfig::configDef),
    CONSUMER(ConsumerConfig::configDef),
    ADMIN(AdminClientConfig::configDef),
    // looked up only when a kafka.streams.* setting is given: the tokenizer's job jar, which runs
    // on Flink clusters, carries no Kafka Streams
    STREAMS(() -> StreamsConfig.configDef());

    private final java.util.function.Supplier<ConfigDef> definition;

    Role(java.util.function.Supplier<ConfigDef> definition) {
      this.definition = definition;
    }

    ConfigDef definition() {
      return definition.get();
    }

    /** {@code kafka.producer.}, ... */
    public String prefix() {
      return PREFIX + name().toLowerCase(Locale.ROOT) + ".";
    }
  }

  private static final Set<String> OWNED =
      Set.of(
          CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
          ProducerConfig.TRANSACTIONAL_ID_CONFIG,
          ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
          ConsumerConfig.ISOLATION_LEVEL_CONFIG,
          ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
          ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
          StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
          StreamsConfig.APPLICATION_ID_CONFIG);

  private final String bootstrapServers;
  private final Map<String, String> common;
  private final Map<Role, Map<String, String>> byRole;

  private KafkaClients(
      String bootstrapServers, Map<String, String> common, Map<Role, Map<String, String>> byRole) {
    this.bootstrapServers = bootstrapServers;
    this.common = Collections.unmodifiableMap(common);
    this.byRole = byRole;
  }

  /** Plain clients of a cluster: no settings beyond where it is. */
  public static KafkaClients of(String bootstrapServers) {
    return new KafkaClients(bootstrapServers, Map.of(), new EnumMap<>(Role.class));
  }

  /**
   * The clients a configuration describes: its {@code kafka.*} settings, checked.
   *
   * @throws ConfigException naming a setting that is not a setting of the client it is for, that a
   *     stage owns, or whose value that client refuses
   */
  public static KafkaClients from(String bootstrapServers, Map<String, ?> values) {
    Map<String, String> common = new TreeMap<>();
    Map<Role, Map<String, String>> byRole = new EnumMap<>(Role.class);
    for (Map.Entry<String, ?> e : values.entrySet()) {
      String key = e.getKey();
      if (!key.startsWith(PREFIX) || e.getValue() == null) {
        continue;
      }
      String value = e.getValue().toString();
      Role role = roleOf(key);
      String name = key.substring(role == null ? PREFIX.length() : role.prefix().length());
      if (OWNED.contains(name)) {
        throw new ConfigException(
            key,
            value,
            name.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)
                ? "set the cluster with bootstrap.servers (or --bootstrap-servers)"
                : "Refinery sets " + name + " itself: its exactly-once guarantees depend on it");
      }
      if (role == null) {
        check(key, name, value, Role.PRODUCER, Role.CONSUMER, Role.ADMIN);
        common.put(name, value);
      } else {
        check(key, name, value, role);
        byRole.computeIfAbsent(role, r -> new TreeMap<>()).put(name, value);
      }
    }
    return new KafkaClients(bootstrapServers, common, byRole);
  }

  private static Role roleOf(String key) {
    for (Role role : Role.values()) {
      if (key.startsWith(role.prefix())) {
        return role;
      }
    }
    return null;
  }

  /** The setting must be one of any of the roles', and its value valid there. */
  private static void check(String key, String name, String value, Role... roles) {
    if (roles.length == 1 && roles[0] == Role.STREAMS) {
      checkStreams(key, name, value);
      return;
    }
    boolean known = false;
    for (Role role : roles) {
      ConfigDef.ConfigKey def = role.definition().configKeys().get(name);
      if (def != null) {
        known = true;
        validate(key, def, value);
      }
    }
    if (!known) {
      throw new ConfigException(
          key,
          value,
          "not a Kafka "
              + (roles.length == 1
                  ? roles[0].name().toLowerCase(Locale.ROOT)
                  : "client (producer, consumer and admin)")
              + " setting; see the Kafka client documentation for the names (a setting of one kind"
              + " of client goes under kafka.producer., kafka.consumer., kafka.admin. or"
              + " kafka.streams.)");
    }
  }

  /** Streams takes its own settings and its clients', prefixed {@code producer.} and so on. */
  private static void checkStreams(String key, String name, String value) {
    ConfigDef.ConfigKey own = Role.STREAMS.definition().configKeys().get(name);
    if (own != null) {
      validate(key, own, value);
      return;
    }
    for (String[] prefix :
        new String[][] {
          {StreamsConfig.PRODUCER_PREFIX, "PRODUCER"},
          {StreamsConfig.CONSUMER_PREFIX, "CONSUMER"},
          {StreamsConfig.MAIN_CONSUMER_PREFIX, "CONSUMER"},
          {StreamsConfig.RESTORE_CONSUMER_PREFIX, "CONSUMER"},
          {StreamsConfig.GLOBAL_CONSUMER_PREFIX, "CONSUMER"},
          {StreamsConfig.ADMIN_CLIENT_PREFIX, "ADMIN"},
          {StreamsConfig.TOPIC_PREFIX, null}
        }) {
      if (name.startsWith(prefix[0])) {
        if (prefix[1] != null) {
          check(key, name.substring(prefix[0].length()), value, Role.valueOf(prefix[1]));
        }
        return;
      }
    }
    throw new ConfigException(
        key, value, "not a Kafka Streams setting (nor producer., consumer., admin. or topic. one)");
  }

  private static void validate(String key, ConfigDef.ConfigKey def, String value) {
    try {
      Object parsed = ConfigDef.parseType(def.name, value, def.type);
      if (def.validator != null) {
        def.validator.ensureValid(def.name, parsed);
      }
    } catch (ConfigException e) {
      throw new ConfigException(
          key, def.type == ConfigDef.Type.PASSWORD ? "(hidden)" : value, e.getMessage());
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Whether any {@code kafka.*} setting was given. */
  public boolean isPlain() {
    return common.isEmpty() && byRole.isEmpty();
  }

  /** A producer's settings: the cluster, the pass-through settings, then the stage's own. */
  public Map<String, Object> producer(Map<String, ?> own) {
    return merge(Role.PRODUCER, own);
  }

  /**
   * A producer's settings where the stage tunes some and owns others: its {@code tuning}
   * (compression, batching: what a cluster's operator may choose otherwise) gives way to the
   * pass-through settings, which give way to what the stage owns.
   */
  public Map<String, Object> producer(Map<String, ?> tuning, Map<String, ?> own) {
    Map<String, Object> all = new HashMap<>(tuning);
    all.putAll(merge(Role.PRODUCER, own));
    return all;
  }

  /** A consumer's settings: the cluster, the pass-through settings, then the stage's own. */
  public Map<String, Object> consumer(Map<String, ?> own) {
    return merge(Role.CONSUMER, own);
  }

  /** An admin client's settings: the cluster, the pass-through settings, then the stage's own. */
  public Map<String, Object> admin(Map<String, ?> own) {
    return merge(Role.ADMIN, own);
  }

  /**
   * A Kafka Streams application's settings: the stage's tuning, the common pass-through settings
   * (which Streams hands to all its clients) and {@code kafka.streams.*} over it, then the stage's
   * own.
   */
  public Properties streams(Properties tuning, Properties own) {
    Properties p = new Properties();
    p.putAll(tuning);
    p.putAll(common);
    p.putAll(byRole.getOrDefault(Role.STREAMS, Map.of()));
    p.putAll(own);
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return p;
  }

  /**
   * Properties for Flink's Kafka source or sink ({@code setProperties}): the common settings and
   * those of the consumer or producer role.
   */
  public Properties flink(Role role) {
    Properties p = new Properties();
    p.putAll(common);
    p.putAll(byRole.getOrDefault(role, Map.of()));
    return p;
  }

  private Map<String, Object> merge(Role role, Map<String, ?> own) {
    Map<String, Object> all = new HashMap<>(common);
    all.putAll(byRole.getOrDefault(role, Map.of()));
    all.putAll(own);
    all.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return all;
  }

  @Override
  public String toString() {
    Map<String, String> shown = new TreeMap<>();
    common.forEach((k, v) -> shown.put(PREFIX + k, hidden(k, v)));
    byRole.forEach((r, m) -> m.forEach((k, v) -> shown.put(r.prefix() + k, hidden(k, v))));
    return "KafkaClients[" + bootstrapServers + " " + shown + "]";
  }

  private static String hidden(String key, String value) {
    return key.contains("password") || key.contains("jaas") || key.contains("secret")
        ? "(hidden)"
        : value;
  }
}
