package dev.refinery.dedup;

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

  /**
   * 32 hex digits: the first half of SHA-256 over the UTF-8 bytes of {@link #normalize}, which are
   * written here in one pass (white space collapsed, lower-cased and encoded as it goes) into a
   * buffer of at most {@link #CHUNK} bytes that the hash takes each time it is full, rather than
   * through Strings and copies of the whole text; a test holds the two equal.
   */
  public static String of(String text) {
    return hashOfNormalized(text);
  }

  /**
   * {@link #of} {@code first + "\n" + second}, without that String: a copy of the whole text (1.8 %
   * of what dedup-filter's stream threads allocated in an allocation profile of {@code bench/run
   * dedup}, for the replay key of every document). The new line is white space, which neither NFKC,
   * nor lower-casing (Σ at the end of {@code first} is final either way), nor a surrogate pair
   * reads across, so each part is normalized on its own; a test holds the two equal.
   */
  public static String of(String first, String second) {
    return hashOfNormalized(first, second);
  }

  /** The fingerprint of the parts joined by white space. */
  private static String hashOfNormalized(String... parts) {
    int chars = 0;
    for (int i = 0; i < parts.length; i++) {
      String text = parts[i];
      parts[i] =
          ascii(text) || Normalizer.isNormalized(text, Normalizer.Form.NFKC)
              ? text
              : Normalizer.normalize(text, Normalizer.Form.NFKC);
      chars += parts[i].length() + 1;
    }
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
    Utf8 out = new Utf8(sha, chars);
    if (!out.appendAll(parts, true)) {
      // a character String lower-cases by its context or into more than one (Σ, İ, surrogates)
      sha.reset();
      for (int i = 0; i < parts.length; i++) {
        parts[i] = parts[i].toLowerCase(Locale.ROOT);
      }
      out.appendAll(parts, false);
    }
    return HexFormat.of().formatHex(sha.digest(), 0, 16);
  }

  /**
   * The most bytes of a normalized text held at once before the hash takes them: a text of any
   * length costs one buffer of this size, where a buffer of the whole text's UTF-8 cost three bytes
   * a character and a copy of its chars two more (together 8.7 % of what dedup-filter's stream
   * threads allocated in an allocation profile of {@code bench/run dedup}; 1.3 % with this buffer).
   */
  static final int CHUNK = 1024;

  /** The UTF-8 bytes of a normalized text, written into a buffer the hash empties. */
  private static final class Utf8 {
    private final MessageDigest sha;
    private final byte[] bytes;

    /** Past this the buffer may not hold what one character writes: a space and 4 bytes at most. */
    private final int full;

    /** Bytes in the buffer that the hash has not taken yet. */
    private int n;

    /** Whether any character was written, even one the hash has taken already. */
    private boolean written;

    /** Whether white space came since the last character written. */
    private boolean space;

    Utf8(MessageDigest sha, int chars) {
      this.sha = sha;
      this.bytes = new byte[(int) Math.min(CHUNK, 3L * chars + 5)];
      this.full = bytes.length - 5;
    }

    /**
     * Writes the parts, with white space between them, and gives the hash the rest; false as {@link
     * #appendNormalized}, with the writing to be started again.
     */
    boolean appendAll(String[] parts, boolean lowerCase) {
      n = 0;
      written = false;
      space = false;
      for (int i = 0; i < parts.length; i++) {
        if (i > 0) {
          space = written;
        }
        if (!appendNormalized(parts[i], lowerCase)) {
          return false;
        }
      }
      sha.update(bytes, 0, n);
      return true;
    }

    /**
     * Writes the text with every run of white space as one space, trimmed, and lower-cased: with
     * {@code lowerCase}, char by char as {@link String#toLowerCase} does for all but Σ, İ and
     * surrogates; without, only ASCII (the text being lower case already). Returns false, having
     * given the hash part of it, at a character only {@link String#toLowerCase} lower-cases right.
     */
    private boolean appendNormalized(String s, boolean lowerCase) {
      byte[] out = bytes;
      int n = this.n;
      boolean written = this.written;
      boolean space = this.space;
      int length = s.length();
      for (int i = 0; i < length; i++) {
        if (n > full) {
          sha.update(out, 0, n);
          n = 0;
        }
        char c = s.charAt(i);
        if (c < 0x80) {
          if (ASCII_SPACE[c]) {
            space = written;
            continue;
          }
          if (space) {
            out[n++] = ' ';
            space = false;
          }
          out[n++] = (byte) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
          written = true;
          continue;
        }
        if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
          space = written;
          continue;
        }
        if (lowerCase) {
          if (c == '\u03A3' || c == '\u0130' || Character.isSurrogate(c)) {
            return false;
          }
          int lower = Character.toLowerCase((int) c);
          if (lower > 0xFFFF) {
            return false;
          }
          c = (char) lower;
        }
        if (space) {
          out[n++] = ' ';
          space = false;
        }
        written = true;
        if (c < 0x80) {
          out[n++] = (byte) c;
        } else if (c < 0x800) {
          out[n++] = (byte) (0xC0 | c >> 6);
          out[n++] = (byte) (0x80 | c & 0x3F);
        } else if (!Character.isSurrogate(c)) {
          out[n++] = (byte) (0xE0 | c >> 12);
          out[n++] = (byte) (0x80 | c >> 6 & 0x3F);
          out[n++] = (byte) (0x80 | c & 0x3F);
        } else if (Character.isHighSurrogate(c)
            && i + 1 < length
            && Character.isLowSurrogate(s.charAt(i + 1))) {
          int cp = Character.toCodePoint(c, s.charAt(++i));
          out[n++] = (byte) (0xF0 | cp >> 18);
          out[n++] = (byte) (0x80 | cp >> 12 & 0x3F);
          out[n++] = (byte) (0x80 | cp >> 6 & 0x3F);
          out[n++] = (byte) (0x80 | cp & 0x3F);
        } else {
          out[n++] = '?'; // a lone surrogate, as String.getBytes(UTF_8) writes it
        }
      }
      this.n = n;
      this.written = written;
      this.space = space;
      return true;
    }
  }

  /** The ASCII characters {@link Character#isWhitespace} or {@link Character#isSpaceChar}. */
  private static final boolean[] ASCII_SPACE = new boolean[0x80];

  static {
    for (char c = 0; c < 0x80; c++) {
      ASCII_SPACE[c] = Character.isWhitespace(c) || Character.isSpaceChar(c);
    }
  }
}
