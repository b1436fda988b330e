package dev.refinery.feedback;

import dev.refinery.schemas.PreferenceLabel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Agreement between the labels of one sample, per labeler: for every two labels by different
 * labelers, every completion pair both of them order (above, below or tied) counts once, and agrees
 * when both order it the same way. Against a gold label it counts as a gold comparison, between two
 * labels that are not gold as a peer comparison for both labelers (two gold labels are not
 * compared).
 *
 * <p>The joiner keeps each labeler's totals as the sum over samples, and applies, when a label of a
 * sample arrives or changes, the difference between the sample's counts after and before.
 */
final class Agreement {
  /** One labeler's counts. */
  record Counts(long labels, long peerPairs, long peerAgreed, long goldPairs, long goldAgreed) {
    static final Counts ZERO = new Counts(0, 0, 0, 0, 0);

    Counts plus(Counts o) {
      return new Counts(
          labels + o.labels,
          peerPairs + o.peerPairs,
          peerAgreed + o.peerAgreed,
          goldPairs + o.goldPairs,
          goldAgreed + o.goldAgreed);
    }

    Counts minus(Counts o) {
      return new Counts(
          labels - o.labels,
          peerPairs - o.peerPairs,
          peerAgreed - o.peerAgreed,
          goldPairs - o.goldPairs,
          goldAgreed - o.goldAgreed);
    }

    boolean isZero() {
      return equals(ZERO);
    }
  }

  private Agreement() {}

  /** The counts of the labels of one sample (each label at its latest revision), per labeler. */
  static Map<String, Counts> of(List<PreferenceLabel> labels) {
    Map<String, Counts> counts = new TreeMap<>();
    List<Map<String, Integer>> tiers = labels.stream().map(Agreement::tierOf).toList();
    for (PreferenceLabel label : labels) {
      counts.merge(label.getLabeler(), new Counts(1, 0, 0, 0, 0), Counts::plus);
    }
    for (int x = 0; x < labels.size(); x++) {
      for (int y = x + 1; y < labels.size(); y++) {
        PreferenceLabel a = labels.get(x);
        PreferenceLabel b = labels.get(y);
        if (a.getLabeler().equals(b.getLabeler()) || (a.getGold() && b.getGold())) {
          continue;
        }
        long[] compared = compare(tiers.get(x), tiers.get(y));
        if (compared[0] == 0) {
          continue;
        }
        if (a.getGold() || b.getGold()) {
          String scored = a.getGold() ? b.getLabeler() : a.getLabeler();
          counts.merge(scored, new Counts(0, 0, 0, compared[0], compared[1]), Counts::plus);
        } else {
          Counts peer = new Counts(0, compared[0], compared[1], 0, 0);
          counts.merge(a.getLabeler(), peer, Counts::plus);
          counts.merge(b.getLabeler(), peer, Counts::plus);
        }
      }
    }
    return counts;
  }

  /** The change of each labeler's counts from {@code before} to {@code after}; zeros left out. */
  static Map<String, Counts> delta(Map<String, Counts> before, Map<String, Counts> after) {
    Map<String, Counts> delta = new TreeMap<>();
    after.forEach(
        (labeler, c) -> delta.put(labeler, c.minus(before.getOrDefault(labeler, Counts.ZERO))));
    before.forEach((labeler, c) -> delta.putIfAbsent(labeler, Counts.ZERO.minus(c)));
    delta.values().removeIf(Counts::isZero);
    return delta;
  }

  private static Map<String, Integer> tierOf(PreferenceLabel label) {
    Map<String, Integer> tier = new HashMap<>();
    for (int t = 0; t < label.getRanking().size(); t++) {
      for (String id : label.getRanking().get(t)) {
        tier.put(id, t);
      }
    }
    return tier;
  }

  /** {compared, agreed} over the completion pairs both labels order. */
  private static long[] compare(Map<String, Integer> a, Map<String, Integer> b) {
    List<String> shared = a.keySet().stream().filter(b::containsKey).sorted().toList();
    long compared = 0;
    long agreed = 0;
    for (int i = 0; i < shared.size(); i++) {
      for (int j = i + 1; j < shared.size(); j++) {
        String p = shared.get(i);
        String q = shared.get(j);
        compared++;
        if (Integer.signum(a.get(p) - a.get(q)) == Integer.signum(b.get(p) - b.get(q))) {
          agreed++;
        }
      }
    }
    return new long[] {compared, agreed};
  }
}
