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
 * @param minDataRate bytes per second under which a request's body is abandoned with 408, so a
 *     client trickling its body cannot hold a thread
 * @param threads most requests served at once
 */
public record HttpSettings(
    String host, int port, long maxBodyBytes, Duration idleTimeout, long minDataRate, int threads) {
  public static final String HOST = "http.host";
  public static final String PORT = "http.port";
  public static final String MAX_BODY_BYTES = "http.max.body.bytes";
  public static final String IDLE_TIMEOUT_MS = "http.idle.timeout.ms";
  public static final String MIN_DATA_RATE = "http.min.data.rate";
  public static final String THREADS = "http.threads";

  public static final String LOOPBACK = "127.0.0.1";

  public HttpSettings {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not 0..65535");
    }
    if (maxBodyBytes < 0 || threads < 1) {
      throw new IllegalArgumentException("maxBodyBytes and threads must be positive");
    }
  }

  /** Loopback, the port, a 1 MiB body, 30 s idle, 1 KiB/s minimum body rate, 16 threads. */
  public static HttpSettings loopback(int port) {
    return new HttpSettings(LOOPBACK, port, 1024 * 1024, Duration.ofSeconds(30), 1024, 16);
  }

  public HttpSettings withPort(int port) {
    return new HttpSettings(host, port, maxBodyBytes, idleTimeout, minDataRate, threads);
  }

  public HttpSettings withMaxBodyBytes(long maxBodyBytes) {
    return new HttpSettings(host, port, maxBodyBytes, idleTimeout, minDataRate, threads);
  }

  /**
   * Defines a service's HTTP settings under {@code prefix} ({@code ingest.}, say): {@code
   * <prefix>http.host}, {@code .port} ({@code -1} serves nothing where {@code optional}), {@code
   * .max.body.bytes}, {@code .idle.timeout.ms}, {@code .min.data.rate}, {@code .threads}.
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
            prefix + IDLE_TIMEOUT_MS,
            ConfigDef.Type.LONG,
            30_000L,
            ConfigDef.Range.between(100, 3_600_000),
            ConfigDef.Importance.LOW,
            "A connection that sends nothing for this long is closed.")
        .define(
            prefix + MIN_DATA_RATE,
            ConfigDef.Type.LONG,
            1024L,
            ConfigDef.Range.atLeast(0),
            ConfigDef.Importance.LOW,
            "Bytes per second under which a request body is abandoned with 408 (0: no minimum),"
                + " so slow clients cannot hold the service's threads.")
        .define(
            prefix + THREADS,
            ConfigDef.Type.INT,
            16,
            ConfigDef.Range.between(2, 1024),
            ConfigDef.Importance.LOW,
            "Most requests the " + what + " serves at once.");
  }

  /** Reads what {@link #define} defined; the port is -1 when the service serves nothing. */
  public static HttpSettings from(AbstractConfig config, String prefix) {
    return new HttpSettings(
        config.getString(prefix + HOST),
        Math.max(0, config.getInt(prefix + PORT)),
        config.getLong(prefix + MAX_BODY_BYTES),
        Duration.ofMillis(config.getLong(prefix + IDLE_TIMEOUT_MS)),
        config.getLong(prefix + MIN_DATA_RATE),
        config.getInt(prefix + THREADS));
  }
}
