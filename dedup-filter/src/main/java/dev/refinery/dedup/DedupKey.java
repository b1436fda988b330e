package dev.refinery.dedup;

import java.util.HexFormat;

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

    static Kind of(char code) {
      for (Kind k : values()) {
        if (k.code == code) {
          return k;
        }
      }
      throw new IllegalArgumentException("no dedup key kind '" + code + "'");
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
}
