package dev.refinery.bench;

import dev.refinery.dedup.MinHasher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Near-duplicate detection quality at the default MinHash settings, where the truth is known.
 *
 * <p>Each passage of real text is the first member of a cluster; the others are copies edited at
 * random (words substituted, inserted and deleted, two lines swapped) until their true Jaccard
 * similarity to it (of the sets of word 5-grams, computed exactly) falls to the target. Passages
 * that already resemble each other (true Jaccard over 0.3) are dropped first, so clusters are
 * distinct. Then dedup-filter's own rule decides, in order: a document that shares an LSH band with
 * an earlier one is its duplicate. Precision: of the documents rejected, the share rejected as a
 * duplicate of their own cluster. Recall: of the edited copies, the share rejected so.
 */
public final class NearDupBench {
  private NearDupBench() {}

  record Doc(int cluster, int member, String text, Set<String> shingles, long[] bands) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    int copies = Integer.parseInt(options.getOrDefault("copies", "3"));
    long seed = Long.parseLong(options.getOrDefault("seed", "1"));
    double[] targets =
        Arrays.stream(options.getOrDefault("similarity", "0.9,0.8,0.7,0.6,0.5").split(","))
            .mapToDouble(Double::parseDouble)
            .toArray();
    MinHasher minHasher = new MinHasher(5, 14, 8, 1);
    BenchTexts.Passages passages = BenchTexts.load(150);
    List<String> bases = distinct(passages.texts());
    List<String> vocabulary = new ArrayList<>();
    passages.texts().forEach(t -> vocabulary.addAll(List.of(t.split("\\s+"))));
    System.out.printf(
        Locale.ROOT,
        "near-duplicate clusters from %s%n%d distinct passages, %d edited copies "
            + "each; MinHash 5-grams, 14 bands x 8 rows (FineWeb's defaults)%n%n",
        passages.origin(),
        bases.size(),
        copies);
    System.out.printf(
        "%-10s %-10s %10s %10s %10s %13s%n",
        "target", "achieved", "precision", "recall", "expected", "false alarms");
    for (double target : targets) {
      SplittableRandom random = new SplittableRandom(seed);
      List<Doc> docs = new ArrayList<>();
      double achieved = 0;
      for (int c = 0; c < bases.size(); c++) {
        String base = bases.get(c);
        Set<String> baseShingles = shingles(base);
        docs.add(
            new Doc(c, 0, base, baseShingles, minHasher.bandHashes(minHasher.signature(base))));
        for (int m = 1; m <= copies; m++) {
          String copy = edit(base, baseShingles, target, vocabulary, random);
          Set<String> copyShingles = shingles(copy);
          achieved += jaccard(baseShingles, copyShingles);
          docs.add(
              new Doc(c, m, copy, copyShingles, minHasher.bandHashes(minHasher.signature(copy))));
        }
      }
      achieved /= bases.size() * copies;
      // dedup-filter's rule, in (event time, id) order: first members first, then the copies
      docs.sort(
          (a, b) ->
              a.member() != b.member()
                  ? Integer.compare(a.member(), b.member())
                  : Integer.compare(a.cluster(), b.cluster()));
      Map<String, Doc> holders = new HashMap<>();
      int rejected = 0;
      int rightCluster = 0;
      int falseAlarms = 0;
      for (Doc d : docs) {
        Doc dupOf = null;
        for (int band = 0; band < d.bands().length; band++) {
          Doc held = holders.putIfAbsent(band + ":" + d.bands()[band], d);
          if (held != null && dupOf == null) {
            dupOf = held;
          }
        }
        if (dupOf != null) {
          rejected++;
          if (dupOf.cluster() == d.cluster()) {
            rightCluster++;
          } else {
            falseAlarms++;
          }
        }
      }
      double precision = rejected == 0 ? 1 : (double) rightCluster / rejected;
      double recall = (double) rightCluster / (bases.size() * copies);
      double expected = 1 - Math.pow(1 - Math.pow(achieved, 8), 14);
      System.out.printf(
          Locale.ROOT,
          "%-10.2f %-10.3f %10.3f %10.3f %10.3f %13d%n",
          target,
          achieved,
          precision,
          recall,
          expected,
          falseAlarms);
    }
    System.out.println(
        "\nexpected: the chance that a pair of this similarity shares a band, 1 - (1 - s^8)^14;"
            + " a copy also counts if it shares a band with another copy of its cluster");
  }

  /** Passages with no earlier passage over 0.3 similar. */
  static List<String> distinct(List<String> texts) {
    List<String> kept = new ArrayList<>();
    List<Set<String>> keptShingles = new ArrayList<>();
    for (String t : texts) {
      Set<String> s = shingles(t);
      if (s.size() >= 50 && keptShingles.stream().noneMatch(k -> jaccard(k, s) > 0.3)) {
        kept.add(t);
        keptShingles.add(s);
      }
    }
    return kept;
  }

  /** Random edits until the copy's similarity to the original is as near the target as they get. */
  static String edit(
      String original,
      Set<String> originalShingles,
      double target,
      List<String> vocabulary,
      SplittableRandom random) {
    List<String> lines = new ArrayList<>(List.of(original.split("\n")));
    if (lines.size() > 2) {
      // reordered paragraphs: two lines change places
      int a = random.nextInt(lines.size());
      int b = random.nextInt(lines.size());
      String x = lines.get(a);
      lines.set(a, lines.get(b));
      lines.set(b, x);
    }
    List<List<String>> words = new ArrayList<>();
    for (String line : lines) {
      words.add(new ArrayList<>(List.of(line.split(" "))));
    }
    String before = null;
    double beforeSimilarity = 1;
    while (true) {
      String text = join(words);
      double similarity = jaccard(originalShingles, shingles(text));
      if (similarity <= target) {
        // the state closest to the target, of the last two
        return before != null && beforeSimilarity - target < target - similarity ? before : text;
      }
      before = text;
      beforeSimilarity = similarity;
      List<String> line = words.get(random.nextInt(words.size()));
      if (line.isEmpty()) {
        continue;
      }
      int at = random.nextInt(line.size());
      switch (random.nextInt(3)) {
        case 0 -> line.set(at, vocabulary.get(random.nextInt(vocabulary.size())));
        case 1 -> line.add(at, vocabulary.get(random.nextInt(vocabulary.size())));
        default -> line.remove(at);
      }
    }
  }

  private static String join(List<List<String>> lines) {
    List<String> out = new ArrayList<>();
    lines.forEach(l -> out.add(String.join(" ", l)));
    return String.join("\n", out);
  }

  /** The word 5-grams of a text, words as MinHasher reads them. */
  static Set<String> shingles(String text) {
    List<String> words = new ArrayList<>();
    for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (!w.isEmpty()) {
        words.add(w);
      }
    }
    Set<String> out = new HashSet<>();
    for (int i = 0; i + 5 <= words.size(); i++) {
      out.add(String.join(" ", words.subList(i, i + 5)));
    }
    return out;
  }

  static double jaccard(Set<String> a, Set<String> b) {
    int both = 0;
    for (String s : a) {
      if (b.contains(s)) {
        both++;
      }
    }
    return (double) both / (a.size() + b.size() - both);
  }
}
