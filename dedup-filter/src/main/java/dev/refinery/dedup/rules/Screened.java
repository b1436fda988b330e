package dev.refinery.dedup.rules;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.regex.Pattern;

/**
 * A document's text as the rules see it, with the views they share computed once (words, lines,
 * paragraphs), the signals they measure and the attributes they set. Rules that rewrite the text
 * (C4's line cleaning, PII redaction) replace it, and the views are computed anew.
 */
public final class Screened {
  /**
   * Words as an NLTK-style English tokenizer yields them: runs of letters (with inner apostrophes
   * and hyphens), numbers, and each other character that is not white space (nor a no-break space)
   * as a token of its own.
   */
  static final Pattern TOKEN =
      Pattern.compile(
          "\\p{L}[\\p{L}\\p{M}\\p{N}'’\\-]*|\\p{N}[\\p{N}.,]*\\p{N}|\\p{N}|[^\\s\\p{Z}\\p{L}\\p{N}]");

  private final String url;
  private final String source;
  private final Map<String, Double> signals = new LinkedHashMap<>();
  private final Map<String, String> attributes = new LinkedHashMap<>();
  private String text;
  private Tokens words;

  /** The number of words, once counted or made; -1 before. */
  private int wordCount = -1;

  private List<String> lines;
  private String language;

  /** Whether every rewrite so far changed only white space ({@link #normalizesAsCreated}). */
  private boolean whiteSpaceRewrites = true;

  public Screened(String text, String url, String source) {
    this.text = text;
    this.url = url;
    this.source = source;
  }

  public String text() {
    return text;
  }

  /**
   * Replaces the text (a rule that cleans or redacts). The same text keeps its views: C4's line
   * cleaning gives back a page it cut nothing from.
   */
  public void rewrite(String newText) {
    rewrite(newText, false);
  }

  /**
   * {@link #rewrite(String)}, saying whether the new text differs from the text before it only in
   * white space: {@link Character#isWhitespace} characters dropped where white space stays between
   * what they separated (blank lines, the ends of lines), none added between characters that had
   * none. Such a text normalizes as the text before it ({@link #normalizesAsCreated}).
   */
  public void rewrite(String newText, boolean whiteSpaceOnly) {
    if (newText.equals(text)) {
      return;
    }
    whiteSpaceRewrites &= whiteSpaceOnly;
    this.text = newText;
    this.words = null;
    this.wordCount = -1;
    this.lines = null;
  }

  /**
   * Whether the text normalizes (NFKC, lower case, white space collapsed: the exact-duplicate
   * fingerprint's normal form in {@code dev.refinery.dedup.TextFingerprint}) as the text this was
   * created with, because no rule rewrote it or every rewrite changed only white space (C4's line
   * cleaning of a page of prose lines and blank lines). White space is never part of what NFKC
   * composes or reorders, nor of what lower-casing looks at around a final Σ, so the characters
   * between white space normalize the same wherever and whatever the white space (a test holds this
   * for every character and every white space). Then the fingerprints of the two texts are one, and
   * the screen normalizes the text once for both.
   */
  public boolean normalizesAsCreated() {
    return whiteSpaceRewrites;
  }

  public String url() {
    return url;
  }

  public String source() {
    return source;
  }

  /** The words of the text (see {@link #TOKEN}). */
  public Tokens words() {
    if (words == null) {
      words = tokens(text);
      wordCount = words.size();
    }
    return words;
  }

  /**
   * The tokens {@link #TOKEN} finds, by a scan that gives the same (a test holds them equal): a
   * letter and the letters, marks, digits, apostrophes and hyphens after it; digits with the
   * digits, dots and commas between them; a lone digit; any other character but white space.
   */
  static Tokens tokens(String text) {
    Tokens out = new Tokens(text, text.length() / 5);
    scan(text, out);
    return out;
  }

  /**
   * The words of a text as where each begins and ends in it: a word becomes a String only when
   * {@link #get} asks for it. The rules read the characters in place; a String a word was 10 % of
   * what dedup-filter's stream threads allocated in an allocation profile of {@code bench/run
   * dedup}.
   */
  public static final class Tokens extends AbstractList<String> implements RandomAccess {
    private final String text;

    /** The start and the end of word {@code i} at {@code 2i} and {@code 2i + 1}. */
    private int[] bounds;

    private int size;

    Tokens(String text, int capacity) {
      this.text = text;
      this.bounds = new int[2 * Math.max(4, capacity)];
    }

    /** The words, each from the text of them joined by a space (for tests and helpers). */
    public static Tokens of(List<String> words) {
      Tokens out = new Tokens(String.join(" ", words), words.size());
      int at = 0;
      for (String w : words) {
        out.add(at, at + w.length());
        at += w.length() + 1;
      }
      return out;
    }

    void add(int start, int end) {
      if (2 * size == bounds.length) {
        bounds = Arrays.copyOf(bounds, 2 * bounds.length);
      }
      bounds[2 * size] = start;
      bounds[2 * size + 1] = end;
      size++;
    }

    /** The text the words are in. */
    public String text() {
      return text;
    }

    /** Where word {@code i} begins in {@link #text}. */
    public int start(int i) {
      Objects.checkIndex(i, size);
      return bounds[2 * i];
    }

    /** Where word {@code i} ends in {@link #text} (exclusive). */
    public int end(int i) {
      Objects.checkIndex(i, size);
      return bounds[2 * i + 1];
    }

    /** The characters of word {@code i}. */
    public int length(int i) {
      return end(i) - start(i);
    }

    @Override
    public String get(int i) {
      return text.substring(start(i), end(i));
    }

    @Override
    public int size() {
      return size;
    }
  }

  /**
   * The number of words of the text: the size of {@link #words()}, without making them where they
   * are not made yet.
   */
  public int wordCount() {
    if (wordCount < 0) {
      wordCount = scan(text, null);
    }
    return wordCount;
  }

  /** The tokens of {@link #tokens}, added to {@code out} where it is not null; their number. */
  private static int scan(String text, Tokens out) {
    int count = 0;
    int n = text.length();
    int i = 0;
    while (i < n) {
      int cp = text.codePointAt(i);
      int next = i + Character.charCount(cp);
      if (Character.isLetter(cp)) {
        int j = next;
        while (j < n) {
          int c = text.codePointAt(j);
          // a letter, a mark or a number: the general categories from UPPERCASE_LETTER (1) to
          // OTHER_NUMBER (11), in one look-up
          int type = Character.getType(c);
          if ((type >= Character.UPPERCASE_LETTER && type <= Character.OTHER_NUMBER)
              || c == '\''
              || c == '\u2019'
              || c == '-') {
            j += Character.charCount(c);
          } else {
            break;
          }
        }
        if (out != null) {
          out.add(i, j);
        }
        count++;
        i = j;
      } else if (isNumber(cp)) {
        int j = next;
        int end = next; // after the last digit so far
        while (j < n) {
          int c = text.codePointAt(j);
          if (isNumber(c)) {
            j += Character.charCount(c);
            end = j;
          } else if (c == '.' || c == ',') {
            j++;
          } else {
            break;
          }
        }
        if (out != null) {
          out.add(i, end);
        }
        count++;
        i = end;
      } else if (isSpace(cp) || isSeparator(cp)) {
        i = next;
      } else {
        if (out != null) {
          out.add(i, next);
        }
        count++;
        i = next;
      }
    }
    return count;
  }

  private static boolean isNumber(int cp) {
    int t = Character.getType(cp);
    return t == Character.DECIMAL_DIGIT_NUMBER
        || t == Character.LETTER_NUMBER
        || t == Character.OTHER_NUMBER;
  }

  private static boolean isSeparator(int cp) {
    int t = Character.getType(cp);
    return t == Character.SPACE_SEPARATOR
        || t == Character.LINE_SEPARATOR
        || t == Character.PARAGRAPH_SEPARATOR;
  }

  /** {@code \\s}: ASCII white space. */
  private static boolean isSpace(int cp) {
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == 0x0B || cp == '\f' || cp == '\r';
  }

  /** The lines of the text, as {@code str.splitlines()} gives them. */
  public List<String> lines() {
    if (lines == null) {
      lines = lines(text);
    }
    return lines;
  }

  /**
   * The text split at {@code \r\n}, {@code \n} and {@code \r} by a scan (as {@code
   * split("\\r?\\n|\\r", -1)} would), without the empty line after a final {@code \n}.
   */
  static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    int start = 0;
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c == '\n' || c == '\r') {
        out.add(text.substring(start, i));
        if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
          i++;
        }
        start = i + 1;
      }
    }
    if (start < n || !text.endsWith("\n")) {
      out.add(text.substring(start));
    }
    return out;
  }

  /** The detected language (ISO 639-1), once the language rule has run. */
  public String language() {
    return language;
  }

  public void language(String code) {
    this.language = code;
  }

  public Map<String, Double> signals() {
    return signals;
  }

  public Map<String, String> attributes() {
    return attributes;
  }

  public void signal(String name, double value) {
    signals.put(name, value);
  }
}
