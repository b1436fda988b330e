package dev.refinery.dedup.rules;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Gopher's repetition filter (Rae et al. 2021, table A1), at its published thresholds as
 * datatrove's {@code GopherRepetitionFilter} implements them: duplicate lines at most 30 % of lines
 * and 20 % of characters, duplicate paragraphs at most 30 % and 20 %; the most frequent 2-, 3-,
 * 4-gram at most 20, 18, 16 % of characters; characters in duplicated 5- to 10-grams at most 15,
 * 14, 13, 12, 11, 10 %.
 */
public final class GopherRepetition extends Rule {
  public static final String NAME = "gopher_repetition";
  private static final Pattern PARAGRAPHS = Pattern.compile("\\n{2,}");
  private static final Pattern LINES = Pattern.compile("\\n+");
  static final int[] TOP_N = {2, 3, 4};
  static final double[] TOP_N_FRAC = {0.20, 0.18, 0.16};
  static final int[] DUP_N = {5, 6, 7, 8, 9, 10};
  static final double[] DUP_N_FRAC = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10};

  double dupLineFrac = 0.3;
  double dupParaFrac = 0.3;
  double dupLineCharFrac = 0.2;
  double dupParaCharFrac = 0.2;

  public GopherRepetition() {
    super(NAME);
  }

  @Override
  public Optional<Rejection> apply(Screened doc) {
    String text = doc.text();
    double length = Math.max(1, text.length());
    Optional<Rejection> repeated =
        repeated(
            doc,
            PARAGRAPHS.split(text.strip()),
            length,
            "PARA",
            "paragraphs",
            dupParaFrac,
            dupParaCharFrac);
    if (repeated.isEmpty()) {
      repeated =
          repeated(doc, LINES.split(text), length, "LINE", "lines", dupLineFrac, dupLineCharFrac);
    }
    if (repeated.isPresent()) {
      return repeated;
    }
    List<String> words = doc.words();
    for (int i = 0; i < TOP_N.length; i++) {
      int n = TOP_N[i];
      double frac = topNgramChars(words, n) / length;
      doc.signal("top_" + n + "_gram_frac", frac);
      if (frac > TOP_N_FRAC[i]) {
        return Optional.of(
            Rejection.of(
                NAME,
                "TOP_" + n + "_GRAM",
                "share of characters in the most frequent " + n + "-gram",
                frac,
                ">",
                TOP_N_FRAC[i]));
      }
    }
    for (int i = 0; i < DUP_N.length; i++) {
      int n = DUP_N[i];
      double frac = duplicatedNgramChars(words, n) / length;
      doc.signal("dup_" + n + "_gram_frac", frac);
      if (frac > DUP_N_FRAC[i]) {
        return Optional.of(
            Rejection.of(
                NAME,
                "DUPLICATED_" + n + "_N_GRAMS",
                "share of characters in duplicated " + n + "-grams",
                frac,
                ">",
                DUP_N_FRAC[i]));
      }
    }
    return Optional.empty();
  }

  /**
   * The share of parts (paragraphs or lines) that repeat an earlier part, and the share of the
   * text's characters in them, against their bounds.
   */
  private static Optional<Rejection> repeated(
      Screened doc,
      String[] parts,
      double length,
      String kind,
      String noun,
      double maxFrac,
      double maxCharFrac) {
    long[] dup = duplicates(parts);
    double frac = (double) dup[0] / parts.length;
    double charFrac = dup[1] / length;
    doc.signal("dup_" + kind.toLowerCase(java.util.Locale.ROOT) + "_frac", frac);
    if (frac > maxFrac) {
      return Optional.of(
          Rejection.of(
              NAME, "DUP_" + kind + "_FRAC", "share of duplicate " + noun, frac, ">", maxFrac));
    }
    if (charFrac > maxCharFrac) {
      return Optional.of(
          Rejection.of(
              NAME,
              "DUP_" + kind + "_CHAR_FRAC",
              "share of characters in duplicate " + noun,
              charFrac,
              ">",
              maxCharFrac));
    }
    return Optional.empty();
  }

  /** How many elements repeat an earlier one, and their characters. */
  static long[] duplicates(String[] elements) {
    Set<String> seen = new HashSet<>();
    long count = 0;
    long chars = 0;
    for (String e : elements) {
      if (!seen.add(e)) {
        count++;
        chars += e.length();
      }
    }
    return new long[] {count, chars};
  }

  /** Characters of the most frequent n-gram times its count (n-grams joined by spaces). */
  static double topNgramChars(List<String> words, int n) {
    if (words.size() < n) {
      return 0;
    }
    Map<String, Integer> counts = new HashMap<>();
    String top = null;
    int topCount = 0;
    for (int i = 0; i + n <= words.size(); i++) {
      String gram = String.join(" ", words.subList(i, i + n));
      int c = counts.merge(gram, 1, Integer::sum);
      if (c > topCount) {
        topCount = c;
        top = gram;
      }
    }
    return top == null ? 0 : (double) top.length() * topCount;
  }

  /**
   * Characters in n-grams that repeat an earlier n-gram, counting each repeated span once
   * (datatrove's {@code find_all_duplicate}: n-grams joined without spaces, a repeat skips past
   * itself).
   */
  static double duplicatedNgramChars(List<String> words, int n) {
    Set<String> seen = new HashSet<>();
    long repeated = 0;
    int i = 0;
    while (i + n <= words.size()) {
      StringBuilder gram = new StringBuilder();
      for (int k = i; k < i + n; k++) {
        gram.append(words.get(k));
      }
      if (!seen.add(gram.toString())) {
        repeated += gram.length();
        i += n;
      } else {
        i++;
      }
    }
    return repeated;
  }
}
