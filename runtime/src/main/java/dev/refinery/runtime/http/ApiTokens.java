package dev.refinery.runtime.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigException;

/**
 * The API tokens of a service, from {@code <prefix>token.<name>=<scope>[,<scope>...]:<secret>}
 * settings: a name (for logs and metrics), what it may do, and a secret of 16 characters or more,
 * compared in constant time. A client sends {@code Authorization: Bearer <secret>} (or {@code Token
 * <secret>}, as Label Studio's webhook headers do). Routes check them with {@link #require}, a
 * {@link Guard}: before a byte of the body is read.
 */
public final class ApiTokens {
  /** A token: its name, scopes and secret. */
  public record Token(String name, Set<String> scopes, String secret) {
    public Token {
      scopes = Collections.unmodifiableSet(new LinkedHashSet<>(scopes));
    }

    /** Whether {@code presented} is this token's secret (compared in constant time). */
    public boolean matches(String presented) {
      return MessageDigest.isEqual(
          secret.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return "Token[" + name + " " + scopes + "]";
    }
  }

  private final String setting;
  private final Set<String> known;
  private final Map<String, Token> tokens;

  private ApiTokens(String setting, Set<String> known, Map<String, Token> tokens) {
    this.setting = setting;
    this.known = known;
    this.tokens = tokens;
  }

  /**
   * The tokens among the values whose keys start with {@code settingPrefix} ({@code
   * ingest.token.}).
   *
   * @param scopes every scope the service knows
   * @throws ConfigException naming a setting that is not {@code <scopes>:<secret>}, names an
   *     unknown scope, or whose secret is shorter than 16 characters
   */
  public static ApiTokens parse(Map<String, ?> values, String settingPrefix, Set<String> scopes) {
    Map<String, Token> tokens = new LinkedHashMap<>();
    new TreeSet<>(values.keySet())
        .forEach(
            key -> {
              if (key.startsWith(settingPrefix)) {
                String name = key.substring(settingPrefix.length());
                tokens.put(name, token(name, key, values.get(key), scopes));
              }
            });
    return new ApiTokens(settingPrefix, Set.copyOf(scopes), tokens);
  }

  private static Token token(String name, String setting, Object value, Set<String> known) {
    String text = value == null ? "" : value.toString().trim();
    int colon = text.indexOf(':');
    if (name.isBlank() || colon <= 0) {
      throw new ConfigException(
          setting, "(hidden)", "must be <scope>[,<scope>...]:<secret>, e.g. " + known + ":s3cr3t…");
    }
    Set<String> scopes = new LinkedHashSet<>();
    for (String scope : text.substring(0, colon).split(",")) {
      String s = scope.trim();
      if (!known.contains(s)) {
        throw new ConfigException(
            setting,
            "(hidden)",
            "unknown scope '" + s + "'; the scopes are " + new TreeSet<>(known));
      }
      scopes.add(s);
    }
    String secret = text.substring(colon + 1);
    if (secret.length() < 16) {
      throw new ConfigException(setting, "(hidden)", "the secret must be 16 characters or more");
    }
    return new Token(name, scopes, secret);
  }

  public Map<String, Token> all() {
    return Collections.unmodifiableMap(tokens);
  }

  public boolean isEmpty() {
    return tokens.isEmpty();
  }

  /**
   * The token a request presents.
   *
   * @throws HttpError 401 when none is configured, none is sent or it is unknown
   */
  public Token authenticate(Exchange exchange) throws HttpError {
    if (tokens.isEmpty()) {
      throw new HttpError(
          401,
          null,
          "no API tokens are configured; declare one with " + setting + "<name>=<scopes>:<secret>");
    }
    String header = exchange.header("Authorization");
    if (header == null) {
      throw new HttpError(
          401, "Authorization", "missing header: send Authorization: Bearer <token>");
    }
    String presented = header.replaceFirst("^(?i)(Bearer|Token)\\s+", "").trim();
    for (Token token : tokens.values()) {
      if (token.matches(presented)) {
        return token;
      }
    }
    throw new HttpError(401, "Authorization", "unknown token");
  }

  /**
   * Checks that the request presents a token with the scope.
   *
   * @throws HttpError 401 as {@link #authenticate}, 403 when the token lacks the scope
   */
  public Token check(Exchange exchange, String scope) throws HttpError {
    if (!known.contains(scope)) {
      throw new IllegalArgumentException("no scope '" + scope + "' among " + known);
    }
    Token token = authenticate(exchange);
    if (!token.scopes().contains(scope)) {
      throw new HttpError(
          403,
          "Authorization",
          "token '" + token.name() + "' lacks scope " + scope + " (it has " + token.scopes() + ")");
    }
    return token;
  }

  /** A guard for a route: a token with the scope, checked before the body is read. */
  public Guard require(String scope) {
    return exchange -> check(exchange, scope);
  }

  /** Whether the request presents a token that has the scope (no refusal). */
  public boolean allows(Exchange exchange, String scope) {
    try {
      check(exchange, scope);
      return true;
    } catch (HttpError e) {
      return false;
    }
  }
}
