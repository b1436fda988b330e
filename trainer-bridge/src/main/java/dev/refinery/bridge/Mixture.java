package dev.refinery.bridge;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The seeded weighted choice of a stream for every item of a run's global batch sequence.
 *
 * <p>Item {@code i} goes to the stream whose cumulative weight, streams taken in name order, first
 * exceeds {@code u(i) * total}, where {@code u(i)} is the top 53 bits of SplitMix64's output for
 * the state {@code seed + (i + 1) * 0x9E3779B97F4A7C15}, as a fraction of 2^53. The choice of any
 * item is computed on its own (counter-based), so it depends only on the seed, the weights and the
 * item's number, never on what was read before or by whom; the Python client computes the same.
 */
public final class Mixture {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final long seed;
  private final String[] streams;
  private final double[] cumulative;
  private final SortedMap<String, Double> weights;

  public Mixture(long seed, Map<String, Double> weights) {
    if (weights.isEmpty()) {
      throw new IllegalArgumentException("a run reads at least one stream");
    }
    this.seed = seed;
    this.weights = new TreeMap<>(weights);
    this.streams = this.weights.keySet().toArray(String[]::new);
    this.cumulative = new double[streams.length];
    double total = 0;
    for (int i = 0; i < streams.length; i++) {
      double w = this.weights.get(streams[i]);
      if (!(w > 0) || Double.isInfinite(w)) {
        throw new IllegalArgumentException(
            "the weight of stream '" + streams[i] + "' must be a positive number, not " + w);
      }
      total += w;
      cumulative[i] = total;
    }
    for (int i = 0; i < streams.length; i++) {
      cumulative[i] /= total;
    }
  }

  /** Index, in {@link #streams()} order, of the stream item {@code item} is drawn from. */
  public int draw(long item) {
    double u = (mix(seed + (item + 1) * GOLDEN) >>> 11) * 0x1.0p-53;
    for (int i = 0; i < cumulative.length - 1; i++) {
      if (u < cumulative[i]) {
        return i;
      }
    }
    return cumulative.length - 1;
  }

  /** The streams, in name order. */
  public String[] streams() {
    return streams.clone();
  }

  public String stream(int i) {
    return streams[i];
  }

  public int size() {
    return streams.length;
  }

  public long seed() {
    return seed;
  }

  public SortedMap<String, Double> weights() {
    return weights;
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
