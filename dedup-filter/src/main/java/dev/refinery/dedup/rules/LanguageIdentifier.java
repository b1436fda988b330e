package dev.refinery.dedup.rules;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.github.pemistahl.lingua.api.Language;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

/**
 * Language identification as a naive Bayes classifier over Lingua's character n-gram models (its 75
 * languages, read once from the Lingua jar), scored in one pass over one table, with probabilities
 * that are calibrated.
 *
 * <ul>
 *   <li>The text is read as Lingua reads it: lower case, the distinct letter trigrams (a trigram
 *       never spans a space or punctuation).
 *   <li>A language's log-likelihood is the sum, over the trigrams, of the language's log
 *       probability of the trigram where its model has it, and of a floor where not. One hash
 *       lookup per trigram finds every language that has it, so the cost does not grow with the
 *       number of languages a trigram is missing from.
 *   <li>The probability of each language is the softmax of the log-likelihoods divided by a
 *       temperature that grows with the number of trigrams ({@code t = a + b * sqrt(n)}). Naive
 *       Bayes multiplies dependent evidence and is far too sure of itself; the temperature was
 *       fitted on held-out snippets of the UDHR translations (see {@code bench/run langid}) so
 *       that, of labels given probability p, a share p is right.
 * </ul>
 *
 * <p>Thread-safe and allocation-light: a call keeps its scores in a small array of its own.
 */
public final class LanguageIdentifier {
  /** The temperature's fit: {@code t = A + B * sqrt(trigrams)} (see the class comment). */
  static final double TEMPERATURE_A = 0.0;

  static final double TEMPERATURE_B = 0.6;

  /**
   * Scripts that one language of the set writes (Lingua has no trigram model for these languages
   * and tells them by their alphabet): a text mostly in one of them is that language.
   */
  static final java.util.Map<Character.UnicodeScript, String> SCRIPTS =
      java.util.Map.ofEntries(
          java.util.Map.entry(Character.UnicodeScript.BENGALI, "bn"),
          java.util.Map.entry(Character.UnicodeScript.GURMUKHI, "pa"),
          java.util.Map.entry(Character.UnicodeScript.GUJARATI, "gu"),
          java.util.Map.entry(Character.UnicodeScript.TAMIL, "ta"),
          java.util.Map.entry(Character.UnicodeScript.TELUGU, "te"),
          java.util.Map.entry(Character.UnicodeScript.GEORGIAN, "ka"),
          java.util.Map.entry(Character.UnicodeScript.ARMENIAN, "hy"),
          java.util.Map.entry(Character.UnicodeScript.GREEK, "el"),
          java.util.Map.entry(Character.UnicodeScript.HEBREW, "he"),
          java.util.Map.entry(Character.UnicodeScript.HANGUL, "ko"),
          java.util.Map.entry(Character.UnicodeScript.HIRAGANA, "ja"),
          java.util.Map.entry(Character.UnicodeScript.KATAKANA, "ja"),
          java.util.Map.entry(Character.UnicodeScript.HAN, "zh"));

  /**
   * The evidence per trigram of "a language none of the models knows" (see probabilities): off.
   * Fitted on the UDHR's other languages it made the labels of known ones under-confident.
   */
  static final double OTHER_GAIN = Double.NEGATIVE_INFINITY;

  /** The log probability of a trigram a language's model lacks. */
  static final float FLOOR = (float) Math.log(1e-6);

  private static volatile LanguageIdentifier shared;

  private final String[] codes;
  private final java.util.Set<String> known;
  private final long[] keys; // open addressing: packed trigram, 0 for empty
  private final int[] starts; // per slot: first entry in langs/logps
  private final int[] ends;
  private final short[] langs;
  private final float[] gains; // log probability - FLOOR, > 0
  private final int mask;

  /** A label and its probability. */
  public record Guess(String code, double probability) {}

  /** The temperature and the other class's evidence, as {@code bench/run langid} fitted them. */
  public static double[] calibration() {
    return new double[] {TEMPERATURE_A, TEMPERATURE_B, OTHER_GAIN};
  }

  private LanguageIdentifier(
      String[] codes, long[] keys, int[] starts, int[] ends, short[] langs, float[] gains) {
    this.codes = codes;
    this.known = java.util.Set.of(codes);
    this.keys = keys;
    this.starts = starts;
    this.ends = ends;
    this.langs = langs;
    this.gains = gains;
    this.mask = keys.length - 1;
  }

  /** The identifier over all of Lingua's languages, built once per JVM (under a second). */
  public static LanguageIdentifier shared() {
    LanguageIdentifier s = shared;
    if (s == null) {
      synchronized (LanguageIdentifier.class) {
        s = shared;
        if (s == null) {
          s = load(Language.Companion.all());
          shared = s;
        }
      }
    }
    return s;
  }

  /** The ISO 639-1 codes it tells apart. */
  public List<String> codes() {
    return List.of(codes);
  }

  /**
   * Builds the table from the trigram models of these languages in the Lingua jar: about a million
   * (trigram, language, log probability) entries, read into primitive arrays, then counted by
   * trigram and laid out one run a trigram: 0.7 s here. A map of boxed trigrams to lists of
   * entries, with Jackson interning every field name, took 3 to 5 s at every start of a stage.
   */
  static LanguageIdentifier load(java.util.Collection<Language> languages) {
    List<Language> ordered =
        languages.stream()
            .sorted(java.util.Comparator.comparing(l -> l.getIsoCode639_1().toString()))
            .toList();
    String[] codes = new String[ordered.size()];
    Entries read = new Entries();
    // the field names are the probabilities' fractions, tens of thousands of them: Jackson's
    // default interns each into the JVM's string table, which was most of the time of a load
    JsonFactory json =
        JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .build();
    for (int i = 0; i < ordered.size(); i++) {
      String iso = ordered.get(i).getIsoCode639_1().toString().toLowerCase(Locale.ROOT);
      codes[i] = iso;
      String resource = "/language-models/" + iso + "/trigrams.json";
      try (InputStream in = Language.class.getResourceAsStream(resource)) {
        if (in == null) {
          if (SCRIPTS.containsValue(iso)) {
            continue; // told by its script alone, as Lingua does
          }
          throw new IllegalStateException("the Lingua jar has no " + resource);
        }
        read(json.createParser(in), (short) i, read);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read Lingua's model " + resource, e);
      }
    }
    // the distinct trigrams and their number of entries
    LongCounts runs = new LongCounts(1 << 16);
    for (int e = 0; e < read.size; e++) {
      runs.increment(read.keys[e]);
    }
    int capacity = Integer.highestOneBit(Math.max(16, runs.size() * 2 - 1)) << 1;
    long[] keys = new long[capacity];
    int[] starts = new int[capacity];
    int[] ends = new int[capacity];
    int[] at = {0};
    runs.forEach(
        (trigram, count) -> {
          int slot = slot(keys, capacity - 1, trigram);
          keys[slot] = trigram;
          starts[slot] = at[0];
          ends[slot] = at[0]; // the end of what is filled so far: the run's end once filled
          at[0] += count;
        });
    // each trigram's entries in the order read: by language
    short[] langs = new short[read.size];
    float[] gains = new float[read.size];
    for (int e = 0; e < read.size; e++) {
      int slot = slot(keys, capacity - 1, read.keys[e]);
      int to = ends[slot]++;
      langs[to] = read.langs[e];
      gains[to] = (float) (read.logps[e] - FLOOR);
    }
    return new LanguageIdentifier(codes, keys, starts, ends, langs, gains);
  }

  /** (trigram, language, log probability) entries as they are read, in growing arrays. */
  private static final class Entries {
    long[] keys = new long[1 << 16];
    short[] langs = new short[1 << 16];
    double[] logps = new double[1 << 16];
    int size;

    void add(long key, short language, double logp) {
      if (size == keys.length) {
        keys = java.util.Arrays.copyOf(keys, size * 2);
        langs = java.util.Arrays.copyOf(langs, size * 2);
        logps = java.util.Arrays.copyOf(logps, size * 2);
      }
      keys[size] = key;
      langs[size] = language;
      logps[size] = logp;
      size++;
    }
  }

  /** Reads {@code {"language": ..., "ngrams": {"num/den": "abc abd ...", ...}}}. */
  private static void read(JsonParser p, short language, Entries entries) throws IOException {
    while (p.nextToken() != null) {
      if (p.currentToken() == JsonToken.FIELD_NAME && "ngrams".equals(p.currentName())) {
        p.nextToken();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String fraction = p.currentName();
          int slash = fraction.indexOf('/');
          // whole numbers: parsed as such, the same doubles as parseDouble gave, in a fifth of the
          // time
          double logp =
              Math.log(
                  (double) Long.parseLong(fraction, 0, slash, 10)
                      / (double) Long.parseLong(fraction, slash + 1, fraction.length(), 10));
          p.nextToken();
          if (logp <= FLOOR) {
            continue;
          }
          // the trigrams, split at spaces without a String each
          char[] chars = p.getTextCharacters();
          int from = p.getTextOffset();
          int end = from + p.getTextLength();
          while (from < end) {
            int to = from;
            while (to < end && chars[to] != ' ') {
              to++;
            }
            if (to - from == 3) {
              entries.add(pack(chars[from], chars[from + 1], chars[from + 2]), language, logp);
            }
            from = to + 1;
          }
        }
      }
    }
  }

  /** Three UTF-16 units in a long, never 0. */
  private static long pack(char a, char b, char c) {
    return ((long) a << 32 | (long) b << 16 | c) + 1;
  }

  private static int slot(long[] keys, int mask, long key) {
    int h = (int) (key * 0x9E3779B97F4A7C15L >>> 40) & mask;
    while (keys[h] != 0 && keys[h] != key) {
      h = (h + 1) & mask;
    }
    return h;
  }

  /**
   * The most likely language of the text and its probability; {@code null} when the text has no
   * letter trigram at all.
   */
  public Guess identify(CharSequence text) {
    Guess byScript = byScript(text);
    if (byScript != null) {
      return byScript;
    }
    Evidence e = evidence(text);
    if (e == null) {
      return null;
    }
    double[] p = probabilities(e, TEMPERATURE_A, TEMPERATURE_B, OTHER_GAIN);
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return new Guess(codes[best], p[best]);
  }

  /**
   * The language of a text mostly (more than half its letters) in a script only one language of the
   * set writes, with the share of its letters in that script as the probability; Japanese where
   * kana are mixed with Han. {@code null} for any other text.
   */
  Guess byScript(CharSequence text) {
    int letters = 0;
    int han = 0;
    int kana = 0;
    Character.UnicodeScript top = null;
    int topCount = 0;
    java.util.EnumMap<Character.UnicodeScript, Integer> counts = null;
    for (int i = 0; i < text.length(); ) {
      int c = Character.codePointAt(text, i);
      i += Character.charCount(c);
      if (c < 0x80) {
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
          letters++; // Latin, the common case, left to the trigrams (without a script look-up)
        }
        continue;
      }
      if (!Character.isLetter(c)) {
        continue;
      }
      letters++;
      Character.UnicodeScript script = Character.UnicodeScript.of(c);
      if (script == Character.UnicodeScript.LATIN) {
        continue;
      }
      if (script == Character.UnicodeScript.HAN) {
        han++;
      } else if (script == Character.UnicodeScript.HIRAGANA
          || script == Character.UnicodeScript.KATAKANA) {
        kana++;
      }
      if (counts == null) {
        counts = new java.util.EnumMap<>(Character.UnicodeScript.class);
      }
      int n = counts.merge(script, 1, Integer::sum);
      if (n > topCount) {
        topCount = n;
        top = script;
      }
    }
    if (letters == 0) {
      return null;
    }
    if (kana > 0 && han + kana > letters / 2) {
      return new Guess("ja", Math.min(0.999, (double) (han + kana) / letters));
    }
    String code = top == null ? null : SCRIPTS.get(top);
    if (code == null || topCount * 2 <= letters || !known.contains(code)) {
      return null;
    }
    return new Guess(code, Math.min(0.999, (double) topCount / letters));
  }

  /**
   * Every language's probability (in the order of {@link #codes()}) from the trigrams; {@code null}
   * when the text has no letter trigram. (Languages told by their script get none here: see {@link
   * #identify}.)
   */
  public double[] probabilities(CharSequence text) {
    Evidence e = evidence(text);
    return e == null ? null : probabilities(e, TEMPERATURE_A, TEMPERATURE_B, OTHER_GAIN);
  }

  /**
   * What a text says for each language: the log-likelihood above the floor's (in the order of
   * {@link #codes()}), and the number of distinct trigrams it was read from.
   */
  public record Evidence(double[] gains, int trigrams) {}

  /** The evidence of a text; {@code null} when it has no letter trigram. */
  public Evidence evidence(CharSequence text) {
    double[] score = new double[codes.length];
    int n = 0;
    // distinct trigrams, as Lingua counts them: an open-addressing set of more than twice as many
    // slots as the text could have trigrams, the front of a table this thread keeps (a table of a
    // call's own was 3.3 % of what dedup-filter's stream threads allocated: 64 KB for 2 KB of text)
    int capacity = Integer.highestOneBit(Math.max(64, text.length() * 2)) << 1;
    Seen table = capacity <= Seen.KEPT ? SEEN.get() : new Seen();
    table.fit(capacity);
    long[] seen = table.keys;
    int[] used = table.used;
    int seenMask = capacity - 1;
    char a = 0;
    char b = 0;
    int run = 0; // letters in a row so far
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      int type = Character.getType(c);
      if (type == Character.COMBINING_SPACING_MARK) {
        continue; // vowel signs and the like: Lingua's models leave them out of the n-grams
      }
      // a letter (the general categories UPPERCASE_LETTER to OTHER_LETTER, as Character.isLetter
      // has it) or a non-spacing mark
      boolean letter = type >= Character.UPPERCASE_LETTER && type <= Character.OTHER_LETTER;
      if (!letter && type != Character.NON_SPACING_MARK) {
        run = 0;
        continue;
      }
      c = Character.toLowerCase(c);
      run++;
      if (run >= 3) {
        long key = pack(a, b, c);
        int h = (int) (key * 0x9E3779B97F4A7C15L >>> 40) & seenMask;
        boolean fresh = true;
        while (seen[h] != 0) {
          if (seen[h] == key) {
            fresh = false;
            break;
          }
          h = (h + 1) & seenMask;
        }
        if (fresh) {
          seen[h] = key;
          used[n++] = h;
          int slot = slot(keys, mask, key);
          if (keys[slot] != 0) {
            for (int k = starts[slot], end = ends[slot]; k < end; k++) {
              score[langs[k]] += gains[k];
            }
          }
        }
      }
      a = b;
      b = c;
    }
    for (int i = 0; i < n; i++) {
      seen[used[i]] = 0; // empty again for the thread's next call
    }
    return n == 0 ? null : new Evidence(score, n);
  }

  /** The set of trigrams {@link #evidence} has seen, empty between calls. */
  private static final class Seen {
    /** The largest table a thread keeps (512 KB, for texts up to 32 K characters). */
    static final int KEPT = 1 << 16;

    long[] keys = new long[0];

    /** The slots taken, fewer than half of them. */
    int[] used = new int[0];

    void fit(int capacity) {
      if (keys.length < capacity) {
        keys = new long[capacity];
        used = new int[capacity / 2];
      }
    }
  }

  private static final ThreadLocal<Seen> SEEN = ThreadLocal.withInitial(Seen::new);

  /**
   * The softmax of the evidence at the temperature {@code a + b * sqrt(trigrams)}, with one more
   * class, "a language none of the models knows", whose evidence is {@code other} per trigram: a
   * text whose trigrams the best model hardly knows (another language, random letters) gives its
   * label a low probability. Returns the models' languages only: what they leave to 1 is the other
   * class's. (Every language also got the floor for each trigram: that common part cancels.)
   */
  public static double[] probabilities(Evidence e, double a, double b, double other) {
    double[] gains = e.gains();
    double t = a + b * Math.sqrt(e.trigrams());
    double unknown = other * e.trigrams();
    double max = unknown;
    for (double g : gains) {
      max = Math.max(max, g);
    }
    double[] p = new double[gains.length];
    double sum = Math.exp((unknown - max) / t);
    for (int i = 0; i < gains.length; i++) {
      p[i] = Math.exp((gains[i] - max) / t);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }
}
