package dev.refinery.feedback;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Labeler pseudonyms: {@code lb_} and 20 hex digits of HMAC-SHA256(key, tool NUL user id). The same
 * person in the same tool always gets the same pseudonym, so agreement can be tracked, while the
 * topics never hold a user id or name, and without the key nobody can map one back.
 */
public final class Pseudonyms {
  private final SecretKeySpec key;

  public Pseudonyms(byte[] key) {
    this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
  }

  /** The pseudonym of a tool's user. */
  public String of(String tool, String userId) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      mac.update(tool.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      byte[] digest = mac.doFinal(userId.getBytes(StandardCharsets.UTF_8));
      return "lb_" + HexFormat.of().formatHex(digest, 0, 10);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
