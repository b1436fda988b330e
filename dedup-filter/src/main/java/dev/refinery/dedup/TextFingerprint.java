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

  /**
   * A text's own fingerprint ({@link #of(String)}) and its replay key's ({@link #of(String,
   * String)}).
   */
  public record TextAndReplay(String text, String replay) {}

  /**
   * {@link #of(String) of(text)} and {@link #of(String, String) of(id, text)}, normalizing the text
   * once: the two hash the same bytes after the id's (its normalized form and a space, where both
   * the id and the text write any), so each piece of the text, once normalized and encoded, goes to
   * both hashes. Normalizing the text a second time for the replay key was half of what the two
   * fingerprints took. A text that only {@link String#toLowerCase} lower-cases right (Σ, İ,
   * surrogates) is hashed for each apart, as {@link #of} does it.
   */
  public static TextAndReplay ofTextAndReplay(String id, String text) {
    String[] idPart = {nfkc(id)};
    String[] textPart = {nfkc(text)};
    MessageDigest replay = sha256();
    Utf8 ids = new Utf8(replay, null, idPart[0].length() + 1);
    MessageDigest own = sha256();
    Utf8 out = new Utf8(own, replay, textPart[0].length() + 1);
    if (ids.appendAll(idPart, true)) {
      out.spaceFirst = ids.written;
      if (out.appendAll(textPart, true)) {
        return new TextAndReplay(hex(own), hex(replay));
      }
    }
    return new TextAndReplay(of(text), of(id, text));
  }

  private static String nfkc(String text) {
    return ascii(text) || Normalizer.isNormalized(text, Normalizer.Form.NFKC)
        ? text
        : Normalizer.normalize(text, Normalizer.Form.NFKC);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  private static String hex(MessageDigest sha) {
    return HexFormat.of().formatHex(sha.digest(), 0, 16);
  }

  /** The fingerprint of the parts joined by white space. */
  private static String hashOfNormalized(String... parts) {
    int chars = 0;
    for (int i = 0; i < parts.length; i++) {
      parts[i] = nfkc(parts[i]);
      chars += parts[i].length() + 1;
    }
    MessageDigest sha = sha256();
    Utf8 out = new Utf8(sha, null, chars);
    if (!out.appendAll(parts, true)) {
      // a character String lower-cases by its context or into more than one (Σ, İ, surrogates)
      sha.reset();
      for (int i = 0; i < parts.length; i++) {
        parts[i] = parts[i].toLowerCase(Locale.ROOT);
      }
      out.appendAll(parts, false);
    }
    return hex(sha);
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

    /** A second hash that takes the same bytes, or null. */
    private final MessageDigest also;

    /** Whether {@link #also} takes a space before the first byte written (the join after an id). */
    boolean spaceFirst;

    private final byte[] bytes;

    /** The text's chars, a piece at a time: a loop over an array, not a call a char. */
    private final char[] piece;

    /** Bytes in the buffer that the hash has not taken yet. */
    private int n;

    /** Whether any character was written, even one the hash has taken already. */
    boolean written;

    /** Whether white space came since the last character written. */
    private boolean space;

    Utf8(MessageDigest sha, MessageDigest also, int chars) {
      this.sha = sha;
      this.also = also;
      this.bytes = new byte[(int) Math.min(CHUNK, 4L * chars + 8)];
      this.piece = new char[Math.min(CHUNK / 4, chars + 1)];
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
      give(bytes, n);
      return true;
    }

    /** Gives the hashes the first {@code n} bytes of {@code out}. */
    private void give(byte[] out, int n) {
      if (n == 0) {
        return;
      }
      sha.update(out, 0, n);
      if (also != null) {
        if (spaceFirst) {
          also.update((byte) ' ');
          spaceFirst = false;
        }
        also.update(out, 0, n);
      }
    }

    /**
     * Writes the text with every run of white space as one space, trimmed, and lower-cased: with
     * {@code lowerCase}, char by char as {@link String#toLowerCase} does for all but Σ, İ and
     * surrogates; without, only ASCII (the text being lower case already). Returns false, having
     * given the hash part of it, at a character only {@link String#toLowerCase} lower-cases right.
     *
     * <p>The text is read in pieces that fit the buffer's room: a char writes at most 4 bytes (a
     * space and 3), a surrogate pair 5, so no char checks for room. An ASCII char takes no branch
     * on what it is: where white space and words alternate every few chars, a branch on each was
     * mispredicted often enough to be most of the time the fingerprints took (4 % of the stream
     * thread in a profile of {@code bench/run dedup}).
     */
    private boolean appendNormalized(String s, boolean lowerCase) {
      byte[] out = bytes;
      char[] piece = this.piece;
      int n = this.n;
      int written = this.written ? 1 : 0;
      int pending = this.space ? 1 : 0;
      int length = s.length();
      int from = 0;
      while (from < length) {
        // one byte to spare: a high surrogate at the piece's end reads its pair past it
        int room = (out.length - 1 - n) / 4;
        if (room < 1) {
          give(out, n);
          n = 0;
          room = (out.length - 1) / 4;
        }
        int to = Math.min(length, from + Math.min(room, piece.length));
        s.getChars(from, to, piece, 0);
        int count = to - from;
        for (int j = 0; j < count; j++) {
          char c = piece[j];
          if (c < 0x80) {
            // the char lower-cased, or -1 for white space; written after a space if one is pending
            int m = ASCII_LOWER[c];
            int isChar = (m >>> 31) ^ 1;
            out[n] = ' ';
            n += pending & isChar;
            out[n] = (byte) m;
            n += isChar;
            written |= isChar;
            pending = (isChar ^ 1) & written;
            continue;
          }
          if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
            pending = written;
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
          if (pending != 0) {
            out[n++] = ' ';
            pending = 0;
          }
          written = 1;
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
              && from + j + 1 < length
              && Character.isLowSurrogate(s.charAt(from + j + 1))) {
            int cp = Character.toCodePoint(c, s.charAt(from + j + 1));
            out[n++] = (byte) (0xF0 | cp >> 18);
            out[n++] = (byte) (0x80 | cp >> 12 & 0x3F);
            out[n++] = (byte) (0x80 | cp >> 6 & 0x3F);
            out[n++] = (byte) (0x80 | cp & 0x3F);
            if (++j == count) {
              // the pair's low half was the first char of the next piece
              to++;
            }
          } else {
            out[n++] = '?'; // a lone surrogate, as String.getBytes(UTF_8) writes it
          }
        }
        from = to;
      }
      this.n = n;
      this.written = written != 0;
      this.space = pending != 0;
      return true;
    }
  }

  /**
   * Each ASCII character lower-cased, or -1 for those {@link Character#isWhitespace} or {@link
   * Character#isSpaceChar}.
   */
  private static final int[] ASCII_LOWER = new int[0x80];

  static {
    for (char c = 0; c < 0x80; c++) {
      ASCII_LOWER[c] =
          Character.isWhitespace(c) || Character.isSpaceChar(c)
              ? -1
              : c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }
  }
}
