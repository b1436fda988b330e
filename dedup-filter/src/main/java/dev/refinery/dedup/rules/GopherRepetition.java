package dev.refinery.dedup.rules;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Gopher's repetition filter (Rae et al. 2021, table A1), at its published thresholds as
 * datatrove's {@code GopherRepetitionFilter} implements them: duplicate lines at most 30 % of lines
 * and 20 % of characters, duplicate paragraphs at most 30 % and 20 %; the most frequent 2-, 3-,
 * 4-gram at most 20, 18, 16 % of characters; characters in duplicated 5- to 10-grams at most 15,
 * 14, 13, 12, 11, 10 %.
 */
public final class GopherRepetition extends Rule {
  public static final String NAME = "gopher_repetition";
  static final int[] TOP_N = {2, 3, 4};
  static final double[] TOP_N_FRAC = {0.20, 0.18, 0.16};
  static final int[] DUP_N = {5, 6, 7, 8, 9, 10};
  static final double[] DUP_N_FRAC = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10};

  // the signals' names, made once: built for each document they were 1 % of dedup-filter's stream
  // thread (bench/run pipeline, a profile)
  private static final String[] TOP_N_SIGNAL = signals("top_%d_gram_frac", TOP_N);
  private static final String[] DUP_N_SIGNAL = signals("dup_%d_gram_frac", DUP_N);

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
    String stripped = text.strip();
    Optional<Rejection> repeated =
        repeated(
            doc,
            stripped,
            bounds(stripped, 2),
            length,
            "PARA",
            "dup_para_frac",
            "paragraphs",
            dupParaFrac,
            dupParaCharFrac);
    if (repeated.isEmpty()) {
      repeated =
          repeated(
              doc,
              text,
              bounds(text, 1),
              length,
              "LINE",
              "dup_line_frac",
              "lines",
              dupLineFrac,
              dupLineCharFrac);
    }
    if (repeated.isPresent()) {
      return repeated;
    }
    Grams words = Grams.of(doc.words());
    for (int i = 0; i < TOP_N.length; i++) {
      int n = TOP_N[i];
      double frac = topNgramChars(words, n) / length;
      doc.signal(TOP_N_SIGNAL[i], frac);
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
      doc.signal(DUP_N_SIGNAL[i], frac);
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
      String text,
      int[] parts,
      double length,
      String kind,
      String signal,
      String noun,
      double maxFrac,
      double maxCharFrac) {
    long[] dup = duplicates(text, parts);
    double frac = (double) dup[0] / (parts.length / 2);
    double charFrac = dup[1] / length;
    doc.signal(signal, frac);
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

  /**
   * Where the parts of the text split at every run of at least {@code minRun} newlines begin and
   * end: {@code [start0, end0, start1, end1, ...]}, without copying their characters. The parts are
   * what {@code Pattern.compile("\\n{minRun,}").split(text)} gives (a test holds them equal): a
   * leading empty part where the text opens with a run, no trailing empty parts, the text itself
   * where there is no run.
   */
  static int[] bounds(String text, int minRun) {
    int[] bounds = new int[16];
    int count = 0;
    int n = text.length();
    int start = 0;
    int i = text.indexOf('\n');
    while (i >= 0) {
      int j = i;
      while (j < n && text.charAt(j) == '\n') {
        j++;
      }
      if (j - i >= minRun) {
        if (count + 2 > bounds.length) {
          bounds = Arrays.copyOf(bounds, bounds.length * 2);
        }
        bounds[count++] = start;
        bounds[count++] = i;
        start = j;
      }
      i = j < n ? text.indexOf('\n', j) : -1;
    }
    if (count == 0) {
      return new int[] {0, n};
    }
    if (count + 2 > bounds.length) {
      bounds = Arrays.copyOf(bounds, bounds.length + 2);
    }
    bounds[count++] = start;
    bounds[count++] = n;
    // no trailing empty parts
    while (count > 0 && bounds[count - 1] == bounds[count - 2]) {
      count -= 2;
    }
    return Arrays.copyOf(bounds, count);
  }

  /** The most parts of one length {@link #duplicates} compares pair by pair. */
  static final int PAIRWISE_MAX = 16;

  /**
   * How many parts ({@link #bounds}) repeat an earlier one, and their characters. Parts of
   * different lengths are never equal, so only parts whose length another part shares are compared,
   * each with the ones before it of its length: most lines and paragraphs of a web page have a
   * length of their own, and are neither hashed nor copied.
   */
  static long[] duplicates(String text, int[] bounds) {
    int parts = bounds.length / 2;
    // a part's length above its index: sorted, the parts of one length are together, in order
    long[] byLength = new long[parts];
    for (int p = 0; p < parts; p++) {
      byLength[p] = (long) (bounds[2 * p + 1] - bounds[2 * p]) << 32 | p;
    }
    Arrays.sort(byLength);
    long count = 0;
    long chars = 0;
    for (int from = 0; from < parts; ) {
      int length = (int) (byLength[from] >>> 32);
      int to = from + 1;
      while (to < parts && (int) (byLength[to] >>> 32) == length) {
        to++;
      }
      if (to - from > PAIRWISE_MAX) {
        // many parts of one length (a table of fixed-width rows): a set, not every pair
        Set<String> seen = new HashSet<>();
        for (int k = from; k < to; k++) {
          int start = bounds[2 * (int) byLength[k]];
          if (!seen.add(text.substring(start, start + length))) {
            count++;
            chars += length;
          }
        }
      } else {
        for (int k = from + 1; k < to; k++) {
          int start = bounds[2 * (int) byLength[k]];
          for (int e = from; e < k; e++) {
            if (text.regionMatches(start, text, bounds[2 * (int) byLength[e]], length)) {
              count++;
              chars += length;
              break;
            }
          }
        }
      }
      from = to;
    }
    return new long[] {count, chars};
  }

  /** Characters of the most frequent n-gram times its count (n-grams joined by spaces). */
  static double topNgramChars(List<String> words, int n) {
    return topNgramChars(new Grams(words), n);
  }

  /**
   * The same over hashed words: an n-gram is the hash of its words' hashes (equal word sequences,
   * equal strings joined by spaces); the first n-gram to reach the highest count is the top one, as
   * with the strings.
   */
  static double topNgramChars(Grams g, int n) {
    int size = g.size();
    if (size < n) {
      return 0;
    }
    LongCounts counts = g.counts();
    int top = -1;
    int topCount = 0;
    for (int i = 0; i + n <= size; i++) {
      long h = 0;
      for (int k = i; k < i + n; k++) {
        h = (h + g.wordHash[k]) * 0x9E3779B97F4A7C15L;
      }
      int c = counts.increment(h ^ n);
      if (c > topCount) {
        topCount = c;
        top = i;
      }
    }
    int chars = n - 1;
    for (int k = top; k < top + n; k++) {
      chars += g.wordLength[k];
    }
    return (double) chars * topCount;
  }

  /**
   * Characters in n-grams that repeat an earlier n-gram, counting each repeated span once
   * (datatrove's {@code find_all_duplicate}: n-grams joined without spaces, a repeat skips past
   * itself).
   */
  static double duplicatedNgramChars(List<String> words, int n) {
    return duplicatedNgramChars(new Grams(words), n);
  }

  /**
   * The same over the words' characters as one stream with prefix hashes: an n-gram is the hash of
   * its characters, joined without spaces, so two word splits of the same characters are the same
   * n-gram, as with the strings.
   */
  static double duplicatedNgramChars(Grams g, int n) {
    boolean[] mayRepeat = n >= DUP_N[0] ? g.mayRepeat(DUP_N[0]) : null;
    LongCounts seen = g.counts();
    long repeated = 0;
    int i = 0;
    while (i + n <= g.size()) {
      if (mayRepeat != null && !mayRepeat[i]) {
        // no other n-gram has its characters: it neither repeats one nor is repeated
        i++;
        continue;
      }
      int from = g.start[i];
      int to = g.start[i + n];
      long h = g.prefix[to] - g.prefix[from] * g.power[to - from];
      if (seen.increment(h ^ ((long) (to - from) << 48)) > 1) {
        repeated += to - from;
        i += n;
      } else {
        i++;
      }
    }
    return repeated;
  }

  /**
   * A document's words, hashed once for every n-gram size. Each stream thread reuses one ({@link
   * #of}): made for each document, its tables were 24 KB of a 2 KB document.
   */
  static final class Grams {
    private static final long BASE = 0x100000001B3L;

    /**
     * The longest document, in words and in characters, whose tables a thread keeps for the next.
     */
    static final int KEPT_WORDS = 1 << 16;

    static final int KEPT_CHARS = 1 << 19;

    /** BASE to the power k, shared by every document and grown to the longest seen. */
    private static volatile long[] powers = powers(4096);

    private static final ThreadLocal<Grams> REUSED = ThreadLocal.withInitial(Grams::new);

    long[] wordHash = new long[0];
    int[] wordLength = new int[0];
    int[] start = new int[1]; // offset of each word in the concatenated characters, and the total
    long[] prefix = new long[1]; // polynomial hash of the first k concatenated characters
    long[] power;
    private int size;

    /** One table of counts for every pass over this document, cleared between them. */
    LongCounts counts = new LongCounts(0);

    /** {@link #mayRepeat}'s answer, and the run length it was asked for. */
    private boolean[] mayRepeat;

    private int mayRepeatFrom;

    /** {@link #mayRepeat}'s hash of each run's head, grown to the longest document. */
    private long[] headHashes = new long[0];

    private Grams() {}

    /** A document's words, in tables of their own. */
    Grams(List<String> words) {
      reset(words instanceof Screened.Tokens t ? t : Screened.Tokens.of(words));
    }

    /**
     * A document's words in this thread's tables, valid until the thread asks again. Tables grown
     * past {@link #KEPT_WORDS} words or {@link #KEPT_CHARS} characters (a long document) are not
     * kept for the next: a thread keeps at most 5 MB.
     */
    static Grams of(Screened.Tokens words) {
      Grams reused = REUSED.get();
      reused.reset(words);
      if (reused.wordHash.length > KEPT_WORDS || reused.prefix.length > KEPT_CHARS) {
        REUSED.remove();
      }
      return reused;
    }

    private void reset(Screened.Tokens words) {
      int size = words.size();
      String text = words.text();
      this.size = size;
      if (wordHash.length < size) {
        int grown = Math.max(size, wordHash.length * 2);
        wordHash = new long[grown];
        wordLength = new int[grown];
        start = new int[grown + 1];
      }
      int total = 0;
      for (int i = 0; i < size; i++) {
        int length = words.length(i);
        start[i] = total;
        wordLength[i] = length;
        total += length;
      }
      start[size] = total;
      if (prefix.length < total + 1) {
        prefix = new long[Math.max(total + 1, prefix.length * 2)];
      }
      long[] p = powers;
      if (p.length <= total) {
        p = powers(Math.max(total + 1, p.length * 2));
        powers = p;
      }
      power = p;
      int at = 0;
      long running = 0;
      for (int i = 0; i < size; i++) {
        int from = words.start(i);
        int length = wordLength[i];
        for (int k = from; k < from + length; k++) {
          running = running * BASE + text.charAt(k) + 1;
          prefix[++at] = running;
        }
        // the word's own polynomial hash, told apart by its length
        wordHash[i] = (running - prefix[start[i]] * p[length]) ^ ((long) length << 56);
      }
      // the table's size for this document's words: a larger one left by a longer document costs
      // its clearing, as a new one cost its allocation
      if (counts.capacity() < LongCounts.capacityFor(size)
          || counts.capacity() > 4 * LongCounts.capacityFor(size)) {
        counts = new LongCounts(size);
      }
      counts.clear();
      mayRepeat = null;
      mayRepeatFrom = 0;
    }

    private static long[] powers(int length) {
      long[] p = new long[length];
      p[0] = 1;
      for (int k = 1; k < length; k++) {
        p[k] = p[k - 1] * BASE;
      }
      return p;
    }

    int size() {
      return size;
    }

    /**
     * For each word, whether an n-gram of at least {@code minWords} words from it can have the
     * characters of an n-gram from another word: the shortest run of {@code minWords} words has m
     * characters, so every such n-gram has at least m, and two equal ones begin with the same m
     * characters. A word whose first m characters begin no other word's run cannot begin a repeat;
     * in prose that is most words, and the passes skip them. (Computed once a document.)
     */
    boolean[] mayRepeat(int minWords) {
      if (mayRepeat != null && mayRepeatFrom == minWords) {
        return mayRepeat;
      }
      int last = size() - minWords; // the last word a run of minWords can begin at
      boolean[] may = new boolean[Math.max(0, last + 1)];
      int m = Integer.MAX_VALUE;
      for (int i = 0; i <= last; i++) {
        m = Math.min(m, start[i + minWords] - start[i]);
      }
      if (m == 0) {
        java.util.Arrays.fill(may, true); // empty words: every run may repeat
      } else if (last >= 0) {
        LongCounts heads = counts();
        if (headHashes.length < last + 1) {
          headHashes = new long[Math.max(last + 1, headHashes.length * 2)];
        }
        long[] head = headHashes;
        for (int i = 0; i <= last; i++) {
          head[i] = prefix[start[i] + m] - prefix[start[i]] * power[m];
          heads.increment(head[i]);
        }
        for (int i = 0; i <= last; i++) {
          may[i] = heads.count(head[i]) > 1;
        }
      }
      mayRepeatFrom = minWords;
      mayRepeat = may;
      return may;
    }

    /** The counts table, empty. */
    LongCounts counts() {
      counts.clear();
      return counts;
    }
  }

  private static String[] signals(String format, int[] ns) {
    String[] out = new String[ns.length];
    for (int i = 0; i < ns.length; i++) {
      out[i] = String.format(java.util.Locale.ROOT, format, ns[i]);
    }
    return out;
  }
}
