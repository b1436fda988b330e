package dev.refinery.runtime.images;

import java.awt.image.BufferedImage;

/**
 * The 64-bit DCT perceptual hash (pHash) as the {@code imagehash} library computes it: the image in
 * grey (ITU-R 601 luma), shrunk to 32 × 32 by area averaging, its two-dimensional DCT-II, and one
 * bit for each of the 8 × 8 lowest frequencies, set where the coefficient is above their median.
 * Re-encoding, resizing and small crops move few bits; different images differ in about half of
 * them. Bit 63 is the DC coefficient, then row by row.
 */
public final class PerceptualHash {
  private static final int SIDE = 32;
  private static final int LOW = 8;
  private static final double[][] COS = new double[SIDE][SIDE];

  static {
    for (int k = 0; k < SIDE; k++) {
      for (int n = 0; n < SIDE; n++) {
        COS[k][n] = Math.cos(Math.PI * k * (2 * n + 1) / (2.0 * SIDE));
      }
    }
  }

  private PerceptualHash() {}

  /** The hash of a decoded image. */
  public static long of(BufferedImage image) {
    double[][] grey = shrink(image);
    double[][] rows = new double[SIDE][LOW];
    for (int y = 0; y < SIDE; y++) {
      for (int k = 0; k < LOW; k++) {
        double sum = 0;
        for (int x = 0; x < SIDE; x++) {
          sum += grey[y][x] * COS[k][x];
        }
        rows[y][k] = sum;
      }
    }
    double[] low = new double[LOW * LOW];
    for (int k = 0; k < LOW; k++) {
      for (int kx = 0; kx < LOW; kx++) {
        double sum = 0;
        for (int y = 0; y < SIDE; y++) {
          sum += rows[y][kx] * COS[k][y];
        }
        low[k * LOW + kx] = sum;
      }
    }
    double[] sorted = low.clone();
    java.util.Arrays.sort(sorted);
    double median = (sorted[31] + sorted[32]) / 2;
    long hash = 0;
    for (double c : low) {
      hash = (hash << 1) | (c > median ? 1 : 0);
    }
    return hash;
  }

  /** How many of the 64 bits differ. */
  public static int distance(long a, long b) {
    return Long.bitCount(a ^ b);
  }

  /**
   * The hash cut into {@code bands} bands of consecutive bits, each keyed by its index and bits:
   * two hashes at distance below {@code bands} share at least one band exactly (pigeonhole), so
   * looking up the bands finds every near-duplicate within that distance.
   */
  public static long[] bands(long hash, int bands) {
    if (bands < 2 || bands > 64) {
      throw new IllegalArgumentException("bands must be between 2 and 64, not " + bands);
    }
    long[] keys = new long[bands];
    int from = 0;
    for (int b = 0; b < bands; b++) {
      int to = (int) ((long) 64 * (b + 1) / bands);
      int width = to - from;
      long bits = (hash >>> (64 - to)) & (width == 64 ? -1L : (1L << width) - 1);
      keys[b] = ((long) b << 56) | bits;
      from = to;
    }
    return keys;
  }

  private static double[][] shrink(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    double[][] out = new double[SIDE][SIDE];
    for (int ty = 0; ty < SIDE; ty++) {
      int y0 = ty * h / SIDE;
      int y1 = Math.max(y0 + 1, (ty + 1) * h / SIDE);
      for (int tx = 0; tx < SIDE; tx++) {
        int x0 = tx * w / SIDE;
        int x1 = Math.max(x0 + 1, (tx + 1) * w / SIDE);
        double sum = 0;
        int n = 0;
        for (int y = y0; y < Math.min(y1, h); y++) {
          for (int x = x0; x < Math.min(x1, w); x++) {
            int p = argb[y * w + x];
            sum += ((p >> 16) & 0xff) * 0.299 + ((p >> 8) & 0xff) * 0.587 + (p & 0xff) * 0.114;
            n++;
          }
        }
        out[ty][tx] = sum / n;
      }
    }
    return out;
  }
}
