package dev.refinery.dedup;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.apache.kafka.common.utils.Bytes;

/**
 * A key that duplicates share: the 128-bit fingerprint of the normalized text or of the normalized
 * URL, or the 64-bit hash of one LSH band of the MinHash signature; or the key that tells a replay
 * (the fingerprint of a document's id with its text). As a Kafka key: {@code <kind><band>:<hex
 * digits>}, e.g. {@code b07:9f3a...}.
 */
record DedupKey(Kind kind, int band, String hash) {
  static DedupKey band(int band, long hash) {
    return new DedupKey(Kind.BAND, band, HexFormat.of().toHexDigits(hash));
  }

  /** What a shared key means. */
  enum Kind {
    EXACT('e'),
    URL('u'),
    BAND('b'),
    /** The same document (id and text) from another record: a replay. */
    ID('i'),
    /** An image's SHA-256: the same bytes. */
    IMAGE('m'),
    /** One band of an image's perceptual hash: a candidate near-duplicate image. */
    IMAGE_BAND('q');

    final char code;

    Kind(char code) {
      this.code = code;
    }

    /** The kinds by their code: {@code values()} copies its array at every call. */
    private static final Kind[] BY_CODE = new Kind[128];

    static {
      for (Kind k : values()) {
        BY_CODE[k.code] = k;
      }
    }

    static Kind of(char code) {
      Kind k = code < BY_CODE.length ? BY_CODE[code] : null;
      if (k == null) {
        throw new IllegalArgumentException("no dedup key kind '" + code + "'");
      }
      return k;
    }
  }

  String encode() {
    if (band < 0 || band > 99) {
      throw new IllegalArgumentException("band " + band + " is not 0 to 99");
    }
    // by hand: String.format cost more than the rest of a key batch
    return new StringBuilder(4 + hash.length())
        .append(kind.code)
        .append((char) ('0' + band / 10))
        .append((char) ('0' + band % 10))
        .append(':')
        .append(hash)
        .toString();
  }

  static DedupKey decode(String key) {
    return new DedupKey(
        Kind.of(key.charAt(0)), Integer.parseInt(key.substring(1, 3)), key.substring(4));
  }

  /** A stored key whose hash is lower-case hex, kept as the bytes its digits spell. */
  static final byte STORED_HEX = 1;

  /** A stored key whose hash is not lower-case hex (no build writes one), kept as its UTF-8. */
  static final byte STORED_TEXT = 2;

  /**
   * The key under which {@code dedup-smallest} keeps the holder of an {@link #encode encoded} key:
   * {@link #STORED_HEX}, the kind's code, the band (one byte each), and the bytes the hash's hex
   * digits spell: 11 bytes for a band, 19 for a 128-bit fingerprint, where the encoded key's UTF-8
   * took 20 and 36. Builds before kept that UTF-8, which begins with the kind's lower-case letter,
   * so both forms live in one store without meeting ({@link #isLegacyStoreKey}).
   *
   * @throws IllegalArgumentException for a string that is not an encoded key
   */
  static Bytes storeKey(String encoded) {
    if (encoded.length() < 4
        || encoded.charAt(3) != ':'
        || !digit(encoded.charAt(1))
        || !digit(encoded.charAt(2))) {
      throw new IllegalArgumentException("not an encoded dedup key: " + encoded);
    }
    Kind.of(encoded.charAt(0));
    int band = (encoded.charAt(1) - '0') * 10 + encoded.charAt(2) - '0';
    String hash = encoded.substring(4);
    boolean hex = hash.length() % 2 == 0 && isLowerHex(hash);
    byte[] tail = hex ? HexFormat.of().parseHex(hash) : hash.getBytes(StandardCharsets.UTF_8);
    byte[] key = new byte[3 + tail.length];
    key[0] = hex ? STORED_HEX : STORED_TEXT;
    key[1] = (byte) encoded.charAt(0);
    key[2] = (byte) band;
    System.arraycopy(tail, 0, key, 3, tail.length);
    return Bytes.wrap(key);
  }

  /** The encoded key (as {@link #encode}) a stored key of either form stands for. */
  static String ofStoreKey(byte[] stored) {
    if (isLegacyStoreKey(stored)) {
      return new String(stored, StandardCharsets.UTF_8);
    }
    if (stored.length < 3 || (stored[0] != STORED_HEX && stored[0] != STORED_TEXT)) {
      throw new IllegalArgumentException("unknown stored dedup key version " + stored[0]);
    }
    String hash =
        stored[0] == STORED_HEX
            ? HexFormat.of().formatHex(stored, 3, stored.length)
            : new String(stored, 3, stored.length - 3, StandardCharsets.UTF_8);
    return new DedupKey(Kind.of((char) stored[1]), stored[2], hash).encode();
  }

  /** The kind of a stored key of either form. */
  static Kind kindOfStored(byte[] stored) {
    return Kind.of((char) (isLegacyStoreKey(stored) ? stored[0] : stored[1]));
  }

  /** Whether a stored key is the encoded key's UTF-8, as builds before {@link #storeKey} kept. */
  static boolean isLegacyStoreKey(byte[] stored) {
    return stored.length > 0 && stored[0] >= 'a' && stored[0] <= 'z';
  }

  /** The encoded key's UTF-8: where builds before {@link #storeKey} kept its holder. */
  static Bytes legacyStoreKey(String encoded) {
    return Bytes.wrap(encoded.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean digit(char c) {
    return c >= '0' && c <= '9';
  }

  /** Whether every character is a lower-case hex digit. */
  static boolean isLowerHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }
}
