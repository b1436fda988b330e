package dev.refinery.bridge;

import dev.refinery.runtime.config.RefineryConfig;
import dev.refinery.runtime.http.ApiTokens;
import dev.refinery.runtime.http.HttpSettings;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of the trainer-bridge ({@code bridge.*}, plus {@code bootstrap.servers}). */
public final class BridgeConfig extends RefineryConfig {
  public static final String STREAMS = "bridge.streams";
  public static final String CLIENT_ID = "bridge.client.id";
  public static final String PORT = "bridge.port";
  public static final String SOCKET = "bridge.socket";
  public static final String PREFETCH = "bridge.prefetch";
  public static final String HTTP_PORT = "bridge.http.port";
  public static final String IMAGE_CACHE = "bridge.image.cache";
  public static final String IMAGE_STORE_CACHE_BYTES = "bridge.image.store.cache.bytes";

  /** {@code bridge.token.<name>=<scopes>:<secret>}: a token of the service's HTTP API. */
  public static final String TOKEN_PREFIX = "bridge.token.";

  /** The scopes of its tokens: pairs: GET /v1/rm-pairs. */
  public static final Set<String> SCOPES = Set.of("pairs");

  public static final ConfigDef DEFINITION =
      HttpSettings.define(
          withRejectedMaxBytes(withBootstrapServers(new ConfigDef()), "bridge.")
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
                  "Kafka client id of the consumer.")
              .define(
                  PORT,
                  Type.INT,
                  8473,
                  ConfigDef.Range.between(-1, 65535),
                  Importance.HIGH,
                  "Loopback TCP port the trainer's ranks connect to; 0 any free port, -1 none.")
              .define(
                  SOCKET,
                  Type.STRING,
                  "",
                  Importance.MEDIUM,
                  "Unix domain socket the ranks may connect to instead (a path); empty for none.")
              .define(
                  PREFETCH,
                  Type.INT,
                  32,
                  ConfigDef.Range.between(1, 4096),
                  Importance.MEDIUM,
                  "Batches fetched ahead of each rank, at most (and so held in memory per rank).")
              .define(
                  IMAGE_CACHE,
                  Type.INT,
                  1024,
                  ConfigDef.Range.between(1, 1_000_000),
                  Importance.MEDIUM,
                  "Images a rank's connection keeps, on both sides: an image is sent once, and again "
                      + "only after this many others were used since. The client keeps as many.")
              .define(
                  IMAGE_STORE_CACHE_BYTES,
                  Type.LONG,
                  256L * 1024 * 1024,
                  ConfigDef.Range.atLeast(0L),
                  Importance.LOW,
                  "Image bytes the bridge keeps in memory, read from corpus.images.v1, for all ranks."),
          "bridge.",
          "bridge's HTTP (/v1/rm-pairs, /metrics, /health)",
          8474,
          true,
          1024L * 1024);

  private final ApiTokens tokens;

  public BridgeConfig(Map<String, ?> values) {
    super(DEFINITION, values, "bridge.", Set.of(TOKEN_PREFIX));
    this.tokens = ApiTokens.parse(values, TOKEN_PREFIX, SCOPES);
    requireStreamNames(STREAMS);
  }

  public List<String> streams() {
    return getList(STREAMS);
  }

  public String clientId() {
    return getString(CLIENT_ID);
  }

  public int port() {
    return getInt(PORT);
  }

  public String socket() {
    return getString(SOCKET);
  }

  public int prefetch() {
    return getInt(PREFETCH);
  }

  public int imageCache() {
    return getInt(IMAGE_CACHE);
  }

  public long imageStoreCacheBytes() {
    return getLong(IMAGE_STORE_CACHE_BYTES);
  }

  public int httpPort() {
    return getInt(HTTP_PORT);
  }

  /** Where and how the HTTP service listens. */
  public HttpSettings http() {
    return HttpSettings.from(this, "bridge.");
  }

  /** The tokens of the service's HTTP API. */
  public ApiTokens tokens() {
    return tokens;
  }
}
