package dev.refinery.dedup.rules;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Gopher's quality filter (Rae et al. 2021, appendix A), at its published thresholds as datatrove's
 * {@code GopherQualityFilter} implements them: 50 to 100,000 words (symbols not counted), mean word
 * length 3 to 10, at most 0.1 hash symbols and 0.1 ellipses per word, at most 90 % of lines
 * starting with a bullet, at most 30 % ending in an ellipsis, at least 80 % of words with a letter,
 * at least 2 of the stop words the, be, to, of, and, that, have, with.
 *
 * <p>"80 % of words with a letter" counts words as the paper does, separated by white space, so a
 * comma or a parenthesis is part of its word ({@link WordCounting#PAPER}, the default). datatrove
 * counts every punctuation token as a word of its own, which refuses curated prose full of numbers
 * and punctuation (abstracts, court summaries); {@link WordCounting#DATATROVE} keeps that counting
 * for comparisons ({@code dedup.gopher.word.counting=datatrove}).
 */
public final class GopherQuality extends Rule {
  public static final String NAME = "gopher_quality";

  /** None longer than four characters (a word is lower-cased only where it could be one). */
  static final Set<String> STOP_WORDS =
      Set.of("the", "be", "to", "of", "and", "that", "have", "with");

  /** {@link #STOP_WORDS} in an array, walked for each short word without an iterator. */
  private static final String[] STOP_WORD_LIST = STOP_WORDS.toArray(String[]::new);

  int minWords = 50;
  int maxWords = 100_000;
  double minMeanWordLength = 3;
  double maxMeanWordLength = 10;
  double maxSymbolWordRatio = 0.1;
  double maxBulletLinesRatio = 0.9;
  double maxEllipsisLinesRatio = 0.3;
  double minAlphaWordsRatio = 0.8;
  int minStopWords = 2;
  private final WordCounting counting;

  /** How the share of words with a letter counts words. */
  public enum WordCounting {
    /** Words separated by white space, as Rae et al. count them. */
    PAPER,
    /** Tokens, punctuation included, as datatrove's implementation counts them. */
    DATATROVE
  }

  public GopherQuality() {
    this(WordCounting.PAPER);
  }

  public GopherQuality(WordCounting counting) {
    super(NAME);
    this.counting = counting;
  }

  /**
   * The share of white-space-separated words that hold a letter ({@link Character#isWhitespace},
   * {@link Character#isLetter} of each code point). Once a word has a letter the rest of it is only
   * stepped over, and ASCII is told by its ranges: the same answer as asking every code point, at a
   * fraction of the calls.
   */
  static double whitespaceWordsWithLetter(String text) {
    int all = 0;
    int withLetter = 0;
    int i = 0;
    int n = text.length();
    while (i < n) {
      while (i < n && isWhitespace(text.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      all++;
      boolean letter = false;
      while (i < n && !letter) {
        char c = text.charAt(i);
        if (c < 0x80) {
          if (isAsciiWhitespace(c)) {
            break;
          }
          letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
          i++;
        } else if (Character.isWhitespace(c)) {
          break;
        } else {
          int cp = text.codePointAt(i);
          letter = Character.isLetter(cp);
          i += Character.charCount(cp);
        }
      }
      if (letter) {
        withLetter++;
        // a white space character is one char: a surrogate is none, so stepping by char finds
        // the word's end where stepping by code point does
        while (i < n && !isWhitespace(text.charAt(i))) {
          i++;
        }
      }
    }
    return all == 0 ? 0 : (double) withLetter / all;
  }

  /**
   * Whether the word from {@code start} to {@code end} of the text, lower-cased, is one of {@link
   * #STOP_WORDS}: in place where it is ASCII, else as {@link String#toLowerCase} has it.
   */
  static boolean isStopWord(String text, int start, int end) {
    for (String stop : STOP_WORD_LIST) {
      if (stop.length() != end - start) {
        continue;
      }
      boolean same = true;
      for (int k = 0; same && k < stop.length(); k++) {
        char c = text.charAt(start + k);
        if (c >= 0x80) {
          return STOP_WORDS.contains(text.substring(start, end).toLowerCase(java.util.Locale.ROOT));
        }
        same = (c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c) == stop.charAt(k);
      }
      if (same) {
        return true;
      }
    }
    return false;
  }

  private static boolean isWhitespace(char c) {
    return c < 0x80 ? isAsciiWhitespace(c) : Character.isWhitespace(c);
  }

  /** {@link Character#isWhitespace} below U+0080: tab to carriage return, U+001C to space. */
  private static boolean isAsciiWhitespace(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
  }

  @Override
  public Optional<Rejection> apply(Screened doc) {
    String text = doc.text();
    Screened.Tokens words = doc.words();
    int nonSymbol = 0;
    long nonSymbolChars = 0;
    int withLetter = 0;
    int stopWords = 0;
    for (int i = 0; i < words.size(); i++) {
      int start = words.start(i);
      int end = words.end(i);
      if (!Words.isSymbol(text, start, end)) {
        nonSymbol++;
        nonSymbolChars += end - start;
      }
      if (Words.hasLetter(text, start, end)) {
        withLetter++;
      }
      if (end - start <= 4 && isStopWord(text, start, end)) {
        stopWords++;
      }
    }
    double meanLength = nonSymbol == 0 ? 0 : (double) nonSymbolChars / nonSymbol;
    int n = Math.max(1, words.size());
    double hashes = (double) count(text, "#") / n;
    double ellipses = (double) (count(text, "...") + count(text, "…")) / n;
    List<String> lines = doc.lines();
    int bullets = 0;
    int endEllipsis = 0;
    for (String line : lines) {
      String left = line.stripLeading();
      if (left.startsWith("•") || left.startsWith("-")) {
        bullets++;
      }
      String right = line.stripTrailing();
      if (right.endsWith("...") || right.endsWith("…")) {
        endEllipsis++;
      }
    }
    double bulletRatio = lines.isEmpty() ? 0 : (double) bullets / lines.size();
    double ellipsisLineRatio = lines.isEmpty() ? 0 : (double) endEllipsis / lines.size();
    double alphaRatio =
        counting == WordCounting.DATATROVE
            ? (words.isEmpty() ? 0 : (double) withLetter / words.size())
            : whitespaceWordsWithLetter(text);
    doc.signal("gopher_words", nonSymbol);
    doc.signal("gopher_mean_word_length", meanLength);
    doc.signal("gopher_alpha_words_ratio", alphaRatio);
    doc.signal("gopher_stop_words", stopWords);

    if (nonSymbol < minWords) {
      return Optional.of(Rejection.of(NAME, "GOPHER_SHORT_DOC", "words", nonSymbol, "<", minWords));
    }
    if (nonSymbol > maxWords) {
      return Optional.of(Rejection.of(NAME, "GOPHER_LONG_DOC", "words", nonSymbol, ">", maxWords));
    }
    if (meanLength < minMeanWordLength) {
      return Optional.of(
          Rejection.of(
              NAME,
              "GOPHER_BELOW_AVG_WORD_LENGTH",
              "mean word length",
              meanLength,
              "<",
              minMeanWordLength));
    }
    if (meanLength > maxMeanWordLength) {
      return Optional.of(
          Rejection.of(
              NAME,
              "GOPHER_ABOVE_AVG_WORD_LENGTH",
              "mean word length",
              meanLength,
              ">",
              maxMeanWordLength));
    }
    if (hashes > maxSymbolWordRatio) {
      return Optional.of(
          Rejection.of(
              NAME, "GOPHER_TOO_MANY_HASHES", "hashes per word", hashes, ">", maxSymbolWordRatio));
    }
    if (ellipses > maxSymbolWordRatio) {
      return Optional.of(
          Rejection.of(
              NAME,
              "GOPHER_TOO_MANY_ELLIPSES",
              "ellipses per word",
              ellipses,
              ">",
              maxSymbolWordRatio));
    }
    if (bulletRatio > maxBulletLinesRatio) {
      return Optional.of(
          Rejection.of(
              NAME,
              "GOPHER_TOO_MANY_BULLETS",
              "share of lines starting with a bullet",
              bulletRatio,
              ">",
              maxBulletLinesRatio));
    }
    if (ellipsisLineRatio > maxEllipsisLinesRatio) {
      return Optional.of(
          Rejection.of(
              NAME,
              "GOPHER_TOO_MANY_END_ELLIPSES",
              "share of lines ending in an ellipsis",
              ellipsisLineRatio,
              ">",
              maxEllipsisLinesRatio));
    }
    if (alphaRatio < minAlphaWordsRatio) {
      return Optional.of(
          Rejection.of(
              NAME,
              "GOPHER_BELOW_ALPHA_THRESHOLD",
              "share of words with a letter",
              alphaRatio,
              "<",
              minAlphaWordsRatio));
    }
    if (stopWords < minStopWords) {
      return Optional.of(
          Rejection.of(
              NAME, "GOPHER_ENOUGH_STOP_WORDS", "stop words", stopWords, "<", minStopWords));
    }
    return Optional.empty();
  }

  static int count(String text, String needle) {
    int n = 0;
    for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length())) {
      n++;
    }
    return n;
  }
}
