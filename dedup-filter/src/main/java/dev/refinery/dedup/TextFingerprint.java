package dev.refinery.dedup;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The exact-duplicate key of a text: a 128-bit hash (the first half of SHA-256) of its normalized
 * form, so texts that differ only in Unicode composition, case or white space are the same.
 *
 * <p>Normalization: NFKC, lower case, every run of white space to one space, trimmed.
 */
public final class TextFingerprint {
  private TextFingerprint() {}

  public static String normalize(String text) {
    String nfkc = ascii(text) ? text : Normalizer.normalize(text, Normalizer.Form.NFKC);
    nfkc = nfkc.toLowerCase(Locale.ROOT);
    StringBuilder out = new StringBuilder(nfkc.length());
    boolean space = false;
    for (int i = 0; i < nfkc.length(); i++) {
      char c = nfkc.charAt(i);
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        space = out.length() > 0;
      } else {
        if (space) {
          out.append(' ');
          space = false;
        }
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Whether the text is ASCII, which NFKC leaves as it is (most web text: no table lookups). */
  private static boolean ascii(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** The first 64 bits of a fingerprint ({@link #of}); never 0, which means unknown. */
  public static long hash64(String fingerprint) {
    long h = Long.parseUnsignedLong(fingerprint.substring(0, 16), 16);
    return h == 0 ? 1 : h;
  }

  /** 32 hex digits. */
  public static String of(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(normalize(text).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
