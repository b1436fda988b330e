package dev.refinery.feedback;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;

/**
 * An API token of the gateway: a name (for logs and metrics), what it may do, and its secret. A
 * tool sends it as {@code Authorization: Bearer <secret>} or {@code Authorization: Token <secret>}
 * (the form Label Studio's webhook headers take).
 */
public record ApiToken(String name, Set<Scope> scopes, String secret) {
  /** What a token may write. */
  public enum Scope {
    /** {@code POST /v1/samples} */
    SAMPLES,
    /** {@code POST /v1/labels} */
    LABELS,
    /** {@code POST /v1/rbrm} */
    RBRM,
    /** {@code POST /v1/webhooks/label-studio} */
    LABEL_STUDIO;

    public String key() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static Scope parse(String key, String setting) {
      for (Scope scope : values()) {
        if (scope.key().equals(key.trim())) {
          return scope;
        }
      }
      throw new ConfigException(
          setting, key, "unknown scope; the scopes are samples, labels, rbrm and label-studio");
    }
  }

  public ApiToken {
    scopes = Set.copyOf(scopes);
  }

  /**
   * Reads {@code feedback.token.<name>=<scope>[,<scope>...]:<secret>}.
   *
   * @throws ConfigException naming the setting when the value is not of that form
   */
  static ApiToken parse(String name, String setting, Object value) {
    String text = value == null ? "" : value.toString().trim();
    int colon = text.indexOf(':');
    if (name.isBlank() || colon <= 0) {
      throw new ConfigException(
          setting, "(hidden)", "must be <scope>[,<scope>...]:<secret>, e.g. labels,rbrm:s3cr3t...");
    }
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    for (String scope : text.substring(0, colon).split(",")) {
      scopes.add(Scope.parse(scope, setting));
    }
    String secret = text.substring(colon + 1);
    if (secret.length() < 16) {
      throw new ConfigException(setting, "(hidden)", "the secret must be 16 characters or more");
    }
    return new ApiToken(name, scopes, secret);
  }

  /** Whether {@code presented} is this token's secret (compared in constant time). */
  boolean matches(String presented) {
    return MessageDigest.isEqual(
        secret.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "ApiToken[" + name + " " + scopes + "]";
  }
}
