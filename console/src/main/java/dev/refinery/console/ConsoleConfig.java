package dev.refinery.console;

import dev.refinery.runtime.config.RefineryConfig;
import dev.refinery.runtime.http.ApiTokens;
import dev.refinery.runtime.http.HttpSettings;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** Settings of the console ({@code console.*}, plus {@code bootstrap.servers}). */
public final class ConsoleConfig extends RefineryConfig {
  public static final String HTTP_PORT = "console.http.port";
  public static final String REFRESH_MS = "console.refresh.ms";
  public static final String SERVICES = "console.services";
  public static final String LAG_BEHIND = "console.lag.behind.records";
  public static final String EXAMPLES = "console.rejection.examples";

  /** The services of {@code refinery up}, as their ports default. */
  public static final String DEFAULT_SERVICES =
      "ingest=http://localhost:8470,dedup-filter=http://localhost:8471,"
          + "tokenizer=http://localhost:8472,trainer-bridge=http://localhost:8474,"
          + "feedback=http://localhost:8475";

  /** {@code console.token.<name>=<scopes>:<secret>}: a token of the service's HTTP API. */
  public static final String TOKEN_PREFIX = "console.token.";

  /**
   * The scopes of its tokens: read: the /api/ snapshot, health and scaling fits; originals: the
   * original bytes of rejected documents in them; import: POST /api/scaling/points.
   */
  public static final Set<String> SCOPES = Set.of("read", "originals", "import");

  public static final ConfigDef DEFINITION =
      HttpSettings.define(
          withBootstrapServers(new ConfigDef())
              .define(
                  REFRESH_MS,
                  Type.LONG,
                  2000L,
                  ConfigDef.Range.between(200, 600_000),
                  Importance.MEDIUM,
                  "How often offsets, lag and the services' health are sampled, and the pages refresh.")
              .define(
                  SERVICES,
                  Type.LIST,
                  DEFAULT_SERVICES,
                  Importance.MEDIUM,
                  "Services to watch, name=base URL: their /health says up or down (the tokenizer's"
                      + " Flink reporter has /metrics only).")
              .define(
                  LAG_BEHIND,
                  Type.LONG,
                  10_000L,
                  ConfigDef.Range.atLeast(1),
                  Importance.MEDIUM,
                  "A consumer group this many records behind the end of its topics is shown as behind.")
              .define(
                  EXAMPLES,
                  Type.INT,
                  200,
                  ConfigDef.Range.between(1, 10_000),
                  Importance.LOW,
                  "How many recent rejections the console keeps to open as examples."),
          "console.",
          "console (pages, /api/*, /metrics, /health)",
          8476,
          false,
          8L * 1024 * 1024);

  private final ApiTokens tokens;

  private final Map<String, String> services;

  public ConsoleConfig(Map<String, ?> values) {
    super(DEFINITION, values, "console.", Set.of(TOKEN_PREFIX));
    this.tokens = ApiTokens.parse(values, TOKEN_PREFIX, SCOPES);
    Map<String, String> services = new LinkedHashMap<>();
    for (String entry : getList(SERVICES)) {
      int eq = entry.indexOf('=');
      if (eq <= 0 || !entry.substring(eq + 1).startsWith("http")) {
        throw new ConfigException(SERVICES, entry, "each entry is name=http://host:port");
      }
      services.put(
          entry.substring(0, eq).trim(), entry.substring(eq + 1).trim().replaceAll("/+$", ""));
    }
    this.services = java.util.Collections.unmodifiableMap(services);
  }

  public int httpPort() {
    return getInt(HTTP_PORT);
  }

  /** Where and how the HTTP service listens. */
  public HttpSettings http() {
    return HttpSettings.from(this, "console.");
  }

  public long refreshMs() {
    return getLong(REFRESH_MS);
  }

  /** Service name to base URL, in the configured order. */
  public Map<String, String> services() {
    return services;
  }

  public long lagBehind() {
    return getLong(LAG_BEHIND);
  }

  public int examples() {
    return getInt(EXAMPLES);
  }

  /** The tokens of the service's HTTP API. */
  public ApiTokens tokens() {
    return tokens;
  }
}
