package dev.refinery.launcher;

import dev.refinery.bridge.BridgeConfig;
import dev.refinery.console.ConsoleConfig;
import dev.refinery.dedup.DedupFilterConfig;
import dev.refinery.feedback.FeedbackConfig;
import dev.refinery.infra.BrokerConfig;
import dev.refinery.infra.TopicsConfig;
import dev.refinery.ingest.IngestConfig;
import dev.refinery.ingest.SourceRegistry;
import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.config.RefineryConfig;
import dev.refinery.tokenizer.TokenizerConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Where every module's configuration comes from, lowest precedence first: the defaults, the folders
 * under the work directory, the {@code --config} properties file, {@code REFINERY_*} environment
 * variables, and command-line flags. One file can hold the settings of every module and the source
 * declarations.
 */
final class Settings {
  private final Path workDir;
  private final Map<String, String> defaults;
  private final Path file;
  private final Map<String, String> environment;
  private final Map<String, String> overrides;

  /** The prefixes a setting's name starts with; a name under none is refused. */
  static final java.util.List<String> PREFIXES =
      java.util.List.of(
          "broker.",
          "ingest.",
          "dedup.",
          "tokenizer.",
          "bridge.",
          "feedback.",
          "console.",
          "topics.",
          "sources.",
          KafkaClients.PREFIX);

  /**
   * @throws org.apache.kafka.common.config.ConfigException naming a setting of the file or the
   *     flags that belongs to no module (a Kafka client setting without {@code kafka.}, a typo)
   */
  Settings(
      Path workDir, Path file, Map<String, String> environment, Map<String, String> overrides) {
    this(workDir, Map.of(), file, environment, overrides);
    Map<String, String> given = new java.util.TreeMap<>(RefineryConfig.readProperties(file));
    given.putAll(overrides);
    for (String key : given.keySet()) {
      if (!key.equals(RefineryConfig.BOOTSTRAP_SERVERS)
          && PREFIXES.stream().noneMatch(key::startsWith)) {
        boolean client =
            org.apache.kafka.clients.producer.ProducerConfig.configNames().contains(key)
                || org.apache.kafka.clients.consumer.ConsumerConfig.configNames().contains(key)
                || org.apache.kafka.clients.admin.AdminClientConfig.configNames().contains(key);
        throw new org.apache.kafka.common.config.ConfigException(
            "unknown setting "
                + key
                + (client
                    ? ": Kafka client settings go under kafka. (kafka." + key + ")"
                    : "; settings start with one of " + PREFIXES + " or are bootstrap.servers"));
      }
    }
  }

  private Settings(
      Path workDir,
      Map<String, String> defaults,
      Path file,
      Map<String, String> environment,
      Map<String, String> overrides) {
    this.workDir = workDir;
    this.defaults = Map.copyOf(defaults);
    this.file = file;
    this.environment = Map.copyOf(environment);
    this.overrides = Map.copyOf(overrides);
  }

  /** The same settings with more command-line values (they win over everything else). */
  Settings with(Map<String, String> more) {
    Map<String, String> merged = new HashMap<>(overrides);
    merged.putAll(more);
    return new Settings(workDir, defaults, file, environment, merged);
  }

  /** The same settings with other defaults, which the file, the environment and flags override. */
  Settings withDefaults(Map<String, String> more) {
    Map<String, String> merged = new HashMap<>(defaults);
    merged.putAll(more);
    return new Settings(workDir, merged, file, environment, overrides);
  }

  Path workDir() {
    return workDir;
  }

  BrokerConfig broker() {
    return new BrokerConfig(values(BrokerConfig.DEFINITION));
  }

  TopicsConfig topics() {
    return new TopicsConfig(values(TopicsConfig.DEFINITION));
  }

  /**
   * The ingest settings. Where no token is declared, one ({@code documents}) is generated once into
   * the work folder ({@code ingest.token}), so the local default's push endpoint asks for it.
   */
  IngestConfig ingest() {
    return new IngestConfig(
        withLocalToken(
            values(IngestConfig.DEFINITION),
            IngestConfig.TOKEN_PREFIX,
            IngestConfig.SCOPES,
            "ingest"));
  }

  /** Where a service's generated local token is kept: {@code <work dir>/<service>.token}. */
  Path localToken(String service) {
    return workDir.resolve(service + ".token");
  }

  /** The values with a generated token of every scope, unless a token is declared. */
  private Map<String, Object> withLocalToken(
      Map<String, Object> values, String prefix, java.util.Set<String> scopes, String service) {
    if (values.keySet().stream().noneMatch(k -> k.startsWith(prefix))) {
      values.put(
          prefix + "local",
          String.join(",", new java.util.TreeSet<>(scopes))
              + ":"
              + LocalSecret.of(localToken(service)));
    }
    return values;
  }

  DedupFilterConfig dedup() {
    return new DedupFilterConfig(values(DedupFilterConfig.DEFINITION));
  }

  /** The tokenizer's settings; its streams default to those the declared sources feed. */
  TokenizerConfig tokenizer() {
    Map<String, Object> values = values(TokenizerConfig.DEFINITION);
    if (!values.containsKey(TokenizerConfig.STREAMS) && !sources().streams().isEmpty()) {
      values.put(TokenizerConfig.STREAMS, String.join(",", sources().streams()));
    }
    return new TokenizerConfig(values);
  }

  BridgeConfig bridge() {
    Map<String, Object> values =
        withLocalToken(
            values(BridgeConfig.DEFINITION),
            BridgeConfig.TOKEN_PREFIX,
            BridgeConfig.SCOPES,
            "bridge");
    if (!values.containsKey(BridgeConfig.STREAMS)) {
      values.put(BridgeConfig.STREAMS, String.join(",", tokenStreams()));
    }
    return new BridgeConfig(values);
  }

  /**
   * The feedback service's settings. Where none are set, the pseudonym key and one API token (all
   * scopes) are generated once into the work folder ({@code feedback.key}, {@code feedback.token}),
   * so the local default runs; a deployment sets {@code feedback.pseudonym.key} and its tokens.
   */
  FeedbackConfig feedback() {
    Map<String, Object> values = values(FeedbackConfig.DEFINITION);
    if (!values.containsKey(FeedbackConfig.PSEUDONYM_KEY)) {
      values.put(FeedbackConfig.PSEUDONYM_KEY, LocalSecret.of(workDir.resolve("feedback.key")));
    }
    if (values.keySet().stream().noneMatch(k -> k.startsWith(FeedbackConfig.TOKEN_PREFIX))) {
      values.put(
          FeedbackConfig.TOKEN_PREFIX + "local",
          "samples,labels,rbrm,label-studio:" + LocalSecret.of(localFeedbackToken()));
    }
    return new FeedbackConfig(values);
  }

  ConsoleConfig console() {
    return new ConsoleConfig(
        withLocalToken(
            values(ConsoleConfig.DEFINITION),
            ConsoleConfig.TOKEN_PREFIX,
            ConsoleConfig.SCOPES,
            "console"));
  }

  /** Where the generated local API token of the feedback gateway is kept. */
  Path localFeedbackToken() {
    return workDir.resolve("feedback.token");
  }

  SourceRegistry sources() {
    Map<String, String> all = new HashMap<>(defaults);
    all.putAll(RefineryConfig.readProperties(file));
    all.putAll(overrides);
    return SourceRegistry.fromConfig(all);
  }

  /** The cluster and the {@code kafka.*} client settings every command's clients use. */
  KafkaClients kafka() {
    return ingest().kafka();
  }

  /** The token streams to provision and pack: the tokenizer's. */
  List<String> streams() {
    return tokenizer().streams();
  }

  /** Every token stream the tokenizer writes: the documents' and the preference pairs'. */
  List<String> tokenStreams() {
    TokenizerConfig tokenizer = tokenizer();
    List<String> all = new java.util.ArrayList<>(tokenizer.streams());
    if (!tokenizer.preferenceStream().isEmpty()) {
      all.add(tokenizer.preferenceStream());
    }
    return all;
  }

  private Map<String, Object> values(ConfigDef definition) {
    Map<String, Object> values = new HashMap<>();
    values.put(BrokerConfig.DATA_DIR, workDir.resolve("kafka").toString());
    values.put(DedupFilterConfig.STATE_DIR, workDir.resolve("streams").toString());
    values.put(FeedbackConfig.STATE_DIR, workDir.resolve("feedback").toString());
    values.put(
        TokenizerConfig.CHECKPOINT_DIR, workDir.resolve("flink").resolve("checkpoints").toString());
    values.putAll(defaults);
    values.putAll(RefineryConfig.sources(definition, file, environment, overrides));
    return values;
  }
}
