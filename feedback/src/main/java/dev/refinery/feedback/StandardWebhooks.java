package dev.refinery.feedback;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies a delivery signed by the Standard Webhooks scheme (standardwebhooks.com), which Argilla
 * uses: {@code webhook-signature} holds space-separated {@code v1,<base64 HMAC-SHA256>} entries,
 * each over {@code <webhook-id>.<webhook-timestamp>.<body>} with the secret's key ({@code whsec_}
 * and base64); {@code webhook-timestamp} (Unix seconds) must be within the tolerance of now.
 */
final class StandardWebhooks {
  static final String ID = "webhook-id";
  static final String TIMESTAMP = "webhook-timestamp";
  static final String SIGNATURE = "webhook-signature";

  private final byte[] key;
  private final long toleranceSeconds;

  /**
   * @throws IllegalArgumentException if the secret is not {@code whsec_} and base64 (or base64)
   */
  StandardWebhooks(String secret, long toleranceSeconds) {
    String encoded = secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret;
    this.key = Base64.getDecoder().decode(encoded);
    this.toleranceSeconds = toleranceSeconds;
  }

  /** The signature header a sender would write: {@code v1,<base64>}. */
  String sign(String id, long timestamp, byte[] body) {
    return "v1," + Base64.getEncoder().encodeToString(mac(id, timestamp, body));
  }

  /**
   * Checks a delivery.
   *
   * @throws BadPayload (401) naming the header that is missing or wrong
   */
  void verify(String id, String timestamp, String signature, byte[] body, Instant now)
      throws BadPayload {
    if (id == null || id.isBlank()) {
      throw new BadPayload(401, ID, "missing header: sign deliveries with Standard Webhooks");
    }
    if (timestamp == null || signature == null) {
      throw new BadPayload(
          401,
          timestamp == null ? TIMESTAMP : SIGNATURE,
          "missing header: sign deliveries with Standard Webhooks");
    }
    long seconds;
    try {
      seconds = Long.parseLong(timestamp.trim());
    } catch (NumberFormatException e) {
      throw new BadPayload(401, TIMESTAMP, "'" + timestamp + "' is not Unix seconds");
    }
    if (Math.abs(now.getEpochSecond() - seconds) > toleranceSeconds) {
      throw new BadPayload(
          401,
          TIMESTAMP,
          "delivery is "
              + Math.abs(now.getEpochSecond() - seconds)
              + " s from now, over the "
              + toleranceSeconds
              + " s tolerance (a replayed or delayed delivery, or a clock off)");
    }
    byte[] expected = mac(id, seconds, body);
    for (String entry : signature.trim().split(" +")) {
      int comma = entry.indexOf(',');
      if (comma > 0 && entry.substring(0, comma).equals("v1")) {
        byte[] presented;
        try {
          presented = Base64.getDecoder().decode(entry.substring(comma + 1));
        } catch (IllegalArgumentException e) {
          continue;
        }
        if (MessageDigest.isEqual(expected, presented)) {
          return;
        }
      }
    }
    throw new BadPayload(
        401, SIGNATURE, "no v1 signature matches the body with the configured secret");
  }

  private byte[] mac(String id, long timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
