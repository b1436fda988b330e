package dev.refinery.bridge;

import java.util.List;

/**
 * The batches one rank reads, step by step: for each step its global item, the stream the mixture
 * draws for it and that stream's batch index (how many items before it drew the same stream). Pure
 * and cheap (a hash per global item), so a rank walks the items of all ranks without reading their
 * batches.
 */
public final class RankPlan {
  /** One step of the rank: read batch {@code index} of stream {@code stream}. */
  public record Step(long step, long item, int stream, long index) {}

  /** A walk over the global items that counts, per stream, the items drawn before it. */
  public static final class Walk {
    private final Mixture mixture;
    private final long[] counts;
    private long item;

    public Walk(Mixture mixture, long item, long[] counts) {
      this.mixture = mixture;
      this.item = item;
      this.counts = counts.clone();
    }

    /** Moves to {@code target} (not backwards) and returns the counts of the items before it. */
    public long[] advanceTo(long target) {
      if (target < item) {
        throw new IllegalArgumentException("item " + target + " is behind the walk (" + item + ")");
      }
      while (item < target) {
        counts[mixture.draw(item)]++;
        item++;
      }
      return counts.clone();
    }

    public long item() {
      return item;
    }
  }

  private final Mixture mixture;
  private final List<Cursor.Segment> segments;
  private final int rank;
  private final Walk walk;
  private long step;

  /**
   * @param segments the run's segments, the last one the current world size
   * @param step the rank's first step
   * @param item the first global item of {@code step} (the cursor's item)
   * @param counts per stream (in the mixture's order), the items before {@code item}
   */
  public RankPlan(
      Mixture mixture,
      List<Cursor.Segment> segments,
      int rank,
      long step,
      long item,
      long[] counts) {
    this.mixture = mixture;
    this.segments = List.copyOf(segments);
    this.rank = rank;
    this.step = step;
    this.walk = new Walk(mixture, item, counts);
  }

  /** The rank's next step; advances the plan. */
  public Step next() {
    long target = Cursor.itemOf(segments, step, rank);
    long[] counts = walk.advanceTo(target);
    int s = mixture.draw(target);
    Step out = new Step(step, target, s, counts[s]);
    step++;
    return out;
  }

  public long nextStep() {
    return step;
  }
}
