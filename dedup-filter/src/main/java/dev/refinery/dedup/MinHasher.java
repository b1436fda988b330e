package dev.refinery.dedup;

import java.util.SplittableRandom;

/**
 * MinHash signatures over word n-grams, and their LSH band hashes, without allocating per word.
 *
 * <p>Words are runs of letters and digits, lower-cased; everything else separates them (the
 * normalization of datatrove's {@code simplify_text}). Each word is hashed as it is read (FNV-1a
 * over its characters, then a 64-bit finalizer); an n-gram's hash mixes its n word hashes. Each of
 * the {@code bands * rows} hash functions is {@code a * x + b} over 64 bits with an odd {@code a},
 * and the signature keeps the smallest high 32 bits of each. FineWeb's defaults are 5-grams and 14
 * bands of 8 rows (112 hashes): pairs above about 0.8 Jaccard similarity share a band with
 * probability over 0.92, pairs below 0.5 with probability under 0.06.
 */
public final class MinHasher {
  private final int ngram;
  private final int bands;
  private final int rows;
  private final long[] a;
  private final long[] b;

  public MinHasher(int ngram, int bands, int rows, long seed) {
    if (ngram < 1 || bands < 1 || rows < 1) {
      throw new IllegalArgumentException("n-gram size, bands and rows must be positive");
    }
    this.ngram = ngram;
    this.bands = bands;
    this.rows = rows;
    int hashes = bands * rows;
    this.a = new long[hashes];
    this.b = new long[hashes];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < hashes; i++) {
      a[i] = random.nextLong() | 1L;
      b[i] = random.nextLong();
    }
  }

  public int bands() {
    return bands;
  }

  /**
   * The signature of a text: {@code bands * rows} minimums, each an unsigned 32-bit value in a
   * long. A text with fewer words than the n-gram size is one n-gram of all its words; an empty
   * text has every minimum at its maximum.
   */
  public long[] signature(CharSequence text) {
    int hashes = a.length;
    long[] min = new long[hashes];
    java.util.Arrays.fill(min, 0xFFFF_FFFFL);
    long[] window = new long[ngram];
    // where the next word's hash goes: words % ngram, kept without dividing
    int next = 0;
    int words = 0;
    long word = 0xcbf29ce484222325L;
    boolean inWord = false;
    int length = text.length();
    for (int i = 0; i <= length; i++) {
      char c = i < length ? text.charAt(i) : ' ';
      if (c < 128 ? ASCII_WORD[c] : Character.isLetterOrDigit(c)) {
        char lower =
            c < 128 ? (c >= 'A' && c <= 'Z' ? (char) (c | 0x20) : c) : Character.toLowerCase(c);
        word = (word ^ lower) * 0x100000001b3L;
        inWord = true;
      } else if (inWord) {
        window[next] = mix(word);
        next = next + 1 == ngram ? 0 : next + 1;
        words++;
        if (words >= ngram) {
          // the oldest of the last ngram words is where the next one will go
          update(min, shingle(window, next, ngram));
        }
        word = 0xcbf29ce484222325L;
        inWord = false;
      }
    }
    if (words > 0 && words < ngram) {
      update(min, shingle(window, 0, words));
    }
    return min;
  }

  /** The ASCII characters {@link Character#isLetterOrDigit} takes. */
  private static final boolean[] ASCII_WORD = new boolean[128];

  static {
    for (char c = 0; c < 128; c++) {
      ASCII_WORD[c] = Character.isLetterOrDigit(c);
    }
  }

  /** One 64-bit hash per band, of its rows; a band's index is part of the hash. */
  public long[] bandHashes(long[] signature) {
    long[] out = new long[bands];
    for (int band = 0; band < bands; band++) {
      long h = 0x9E3779B97F4A7C15L * (band + 1);
      for (int row = 0; row < rows; row++) {
        h = mix(h ^ signature[band * rows + row]);
      }
      out[band] = h;
    }
    return out;
  }

  /** The Jaccard similarity two signatures estimate: the share of equal minimums. */
  public static double similarity(long[] x, long[] y) {
    int equal = 0;
    for (int i = 0; i < x.length; i++) {
      if (x[i] == y[i]) {
        equal++;
      }
    }
    return (double) equal / x.length;
  }

  private void update(long[] min, long x) {
    for (int i = 0; i < min.length; i++) {
      long h = (a[i] * x + b[i]) >>> 32;
      // min(h, min[i]) in arithmetic that C2 vectorizes (both below 2^32: no overflow); a
      // comparison or Math.min is a branch or a conditional move, one hash at a time
      long d = min[i] - h;
      min[i] = h + (d & (d >> 63));
    }
  }

  /** The hash of {@code n} word hashes in order, from {@code oldest} on, around the window. */
  private long shingle(long[] window, int oldest, int n) {
    long h = 0x2545F4914F6CDD1DL;
    int at = oldest;
    for (int k = 0; k < n; k++) {
      h = mix(h * 31 + window[at]);
      at = at + 1 == ngram ? 0 : at + 1;
    }
    return h;
  }

  /** A 64-bit finalizer (splitmix64). */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
