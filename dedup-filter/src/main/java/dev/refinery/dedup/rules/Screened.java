package dev.refinery.dedup.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  private List<String> words;

  /** The number of words, once counted or made; -1 before. */
  private int wordCount = -1;

  private List<String> lines;
  private String language;

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
    if (newText.equals(text)) {
      return;
    }
    this.text = newText;
    this.words = null;
    this.wordCount = -1;
    this.lines = null;
  }

  public String url() {
    return url;
  }

  public String source() {
    return source;
  }

  /** The words of the text (see {@link #TOKEN}). */
  public List<String> words() {
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
  static List<String> tokens(String text) {
    List<String> out = new ArrayList<>(text.length() / 5);
    scan(text, out);
    return out;
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
  private static int scan(String text, List<String> out) {
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
          out.add(text.substring(i, j));
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
          out.add(text.substring(i, end));
        }
        count++;
        i = end;
      } else if (isSpace(cp) || isSeparator(cp)) {
        i = next;
      } else {
        if (out != null) {
          out.add(text.substring(i, next));
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
