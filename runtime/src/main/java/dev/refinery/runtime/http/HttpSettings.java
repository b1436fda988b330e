package dev.refinery.runtime.http;

import java.time.Duration;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Where and how a service listens: the interface (loopback unless configured), the port, and the
 * limits every request is held to.
 *
 * @param host interface to bind; {@code 127.0.0.1} by default, {@code 0.0.0.0} for every interface
 * @param port 0 picks a free port
 * @param maxBodyBytes a longer body is refused with 413 (before it is read when its length is
 *     declared)
 * @param idleTimeout a connection that sends nothing for this long is closed
 * @param requestTimeout a request whose body has not all arrived this long after its headers is
 *     answered 408 and its connection closed; bodies are read without holding a thread, so clients
 *     trickling their bodies cannot starve the others
 * @param threads most requests served at once
 * @param maxBodiesBytes most bytes of request bodies the service holds at once, from the moment it
 *     starts reading one until its handler has answered: the declared length of each (the route's
 *     limit where none is declared), at most this whole budget for one request. A request that
 *     would pass it waits in line, unread and holding no thread, until the bodies before it are
 *     answered, and is answered 503 with {@code Retry-After} if it waited the request timeout: so
 *     clients sending in parallel cannot take the heap, however many connections they open. Routes
 *     without a guard have a quarter of it more, of their own
 * @param prefix the prefix of the settings these came from ({@code ingest.}), so that a refusal can
 *     name the setting to change; empty when they came from code
 * @param tlsKeystore a PKCS12 keystore of the service's certificate and key: the service then
 *     speaks HTTPS only; {@code null} for plain HTTP
 * @param tlsKeystorePassword the keystore's password
 */
public record HttpSettings(
    String host,
    int port,
    long maxBodyBytes,
    Duration idleTimeout,
    Duration requestTimeout,
    int threads,
    long maxBodiesBytes,
    String prefix,
    String tlsKeystore,
    String tlsKeystorePassword) {
  public static final String HOST = "http.host";
  public static final String PORT = "http.port";
  public static final String MAX_BODY_BYTES = "http.max.body.bytes";
  public static final String IDLE_TIMEOUT_MS = "http.idle.timeout.ms";
  public static final String REQUEST_TIMEOUT_MS = "http.request.timeout.ms";
  public static final String THREADS = "http.threads";
  public static final String MAX_BODIES_BYTES = "http.max.bodies.bytes";
  public static final String TLS_KEYSTORE = "http.tls.keystore.location";
  public static final String TLS_KEYSTORE_PASSWORD = "http.tls.keystore.password";

  public static final String LOOPBACK = "127.0.0.1";

  public HttpSettings {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not 0..65535");
    }
    if (maxBodyBytes < 0 || threads < 1 || maxBodiesBytes < 1) {
      throw new IllegalArgumentException(
          "maxBodyBytes, threads and maxBodiesBytes must be positive");
    }
    prefix = prefix == null ? "" : prefix;
    tlsKeystore = tlsKeystore == null || tlsKeystore.isBlank() ? null : tlsKeystore;
  }

  /** Settings from code, not from a configuration. */
  public HttpSettings(
      String host,
      int port,
      long maxBodyBytes,
      Duration idleTimeout,
      Duration requestTimeout,
      int threads) {
    this(
        host,
        port,
        maxBodyBytes,
        idleTimeout,
        requestTimeout,
        threads,
        defaultMaxBodiesBytes(maxBodyBytes),
        "",
        null,
        null);
  }

  /**
   * The bodies' budget where none is configured: four bodies of the largest size, and at least 64
   * MiB, so that small requests are never short of it.
   */
  public static long defaultMaxBodiesBytes(long maxBodyBytes) {
    return Math.max(4 * maxBodyBytes, 64L << 20);
  }

  /** The name of the bodies' budget's setting, or {@code null} when these came from code. */
  public String maxBodiesSetting() {
    return prefix.isEmpty() ? null : prefix + MAX_BODIES_BYTES;
  }

  /** The same settings, serving HTTPS with the certificate and key of a PKCS12 keystore. */
  public HttpSettings withTls(String keystore, String password) {
    return new HttpSettings(
        host,
        port,
        maxBodyBytes,
        idleTimeout,
        requestTimeout,
        threads,
        maxBodiesBytes,
        prefix,
        keystore,
        password);
  }

  /** The name of the body limit's setting, or {@code null} when these came from code. */
  public String maxBodySetting() {
    return prefix.isEmpty() ? null : prefix + MAX_BODY_BYTES;
  }

  /** Loopback, the port, a 1 MiB body, 30 s idle, 120 s for a request's body, 16 threads. */
  public static HttpSettings loopback(int port) {
    return new HttpSettings(
        LOOPBACK, port, 1024 * 1024, Duration.ofSeconds(30), Duration.ofSeconds(120), 16);
  }

  public HttpSettings withPort(int port) {
    return new HttpSettings(
        host,
        port,
        maxBodyBytes,
        idleTimeout,
        requestTimeout,
        threads,
        maxBodiesBytes,
        prefix,
        tlsKeystore,
        tlsKeystorePassword);
  }

  /**
   * Defines a service's HTTP settings under {@code prefix} ({@code ingest.}, say): {@code
   * <prefix>http.host}, {@code .port} ({@code -1} serves nothing where {@code optional}), {@code
   * .max.body.bytes}, {@code .max.bodies.bytes} (by default {@link #defaultMaxBodiesBytes} of the
   * default body limit), {@code .idle.timeout.ms}, {@code .request.timeout.ms}, {@code .threads},
   * {@code .tls.keystore.location} and {@code .tls.keystore.password}.
   */
  public static ConfigDef define(
      ConfigDef definition,
      String prefix,
      String what,
      int defaultPort,
      boolean optional,
      long defaultMaxBodyBytes) {
    return definition
        .define(
            prefix + HOST,
            ConfigDef.Type.STRING,
            LOOPBACK,
            new ConfigDef.NonEmptyString(),
            ConfigDef.Importance.HIGH,
            "Interface the "
                + what
                + " listens on. Loopback by default: set 0.0.0.0 (or an address) to serve other"
                + " machines, behind the service's tokens.")
        .define(
            prefix + PORT,
            ConfigDef.Type.INT,
            defaultPort,
            ConfigDef.Range.between(optional ? -1 : 0, 65535),
            ConfigDef.Importance.MEDIUM,
            "Port of the "
                + what
                + "; 0 picks a free one"
                + (optional ? ", -1 serves nothing." : "."))
        .define(
            prefix + MAX_BODY_BYTES,
            ConfigDef.Type.LONG,
            defaultMaxBodyBytes,
            ConfigDef.Range.between(0, 1L << 31),
            ConfigDef.Importance.LOW,
            "Largest request body; a longer one is refused with 413.")
        .define(
            prefix + MAX_BODIES_BYTES,
            ConfigDef.Type.LONG,
            defaultMaxBodiesBytes(defaultMaxBodyBytes),
            ConfigDef.Range.between(1, Long.MAX_VALUE),
            ConfigDef.Importance.LOW,
            "Most bytes of request bodies held in memory at once, from the moment one is read until"
                + " its request is answered (each counted at its declared length, or at "
                + prefix
                + MAX_BODY_BYTES
                + " where it declares none). A request that would pass it waits, unread, until"
                + " there is room (503 with Retry-After after the request timeout). Routes that take"
                + " no token have a quarter of it more, of their own. The heap must"
                + " hold it several times over:"
                + " a request's body and what is decoded from it (docs/operations.md, \"Memory of the"
                + " services\").")
        .define(
            prefix + IDLE_TIMEOUT_MS,
            ConfigDef.Type.LONG,
            30_000L,
            ConfigDef.Range.between(100, 3_600_000),
            ConfigDef.Importance.LOW,
            "A connection that sends nothing for this long is closed.")
        .define(
            prefix + REQUEST_TIMEOUT_MS,
            ConfigDef.Type.LONG,
            120_000L,
            ConfigDef.Range.between(100, 3_600_000),
            ConfigDef.Importance.LOW,
            "A request whose body has not all arrived this long after its headers is answered 408"
                + " and its connection closed.")
        .define(
            prefix + THREADS,
            ConfigDef.Type.INT,
            16,
            ConfigDef.Range.between(2, 1024),
            ConfigDef.Importance.LOW,
            "Most requests the " + what + " serves at once.")
        .define(
            prefix + TLS_KEYSTORE,
            ConfigDef.Type.STRING,
            "",
            ConfigDef.Importance.MEDIUM,
            "A PKCS12 keystore with the "
                + what
                + "'s certificate and key: it then speaks HTTPS only. Empty: plain HTTP.")
        .define(
            prefix + TLS_KEYSTORE_PASSWORD,
            ConfigDef.Type.PASSWORD,
            "",
            ConfigDef.Importance.MEDIUM,
            "The password of the TLS keystore.");
  }

  /** Reads what {@link #define} defined; the port is -1 when the service serves nothing. */
  public static HttpSettings from(AbstractConfig config, String prefix) {
    return new HttpSettings(
        config.getString(prefix + HOST),
        Math.max(0, config.getInt(prefix + PORT)),
        config.getLong(prefix + MAX_BODY_BYTES),
        Duration.ofMillis(config.getLong(prefix + IDLE_TIMEOUT_MS)),
        Duration.ofMillis(config.getLong(prefix + REQUEST_TIMEOUT_MS)),
        config.getInt(prefix + THREADS),
        config.getLong(prefix + MAX_BODIES_BYTES),
        prefix,
        config.getString(prefix + TLS_KEYSTORE),
        config.getPassword(prefix + TLS_KEYSTORE_PASSWORD).value());
  }
}
