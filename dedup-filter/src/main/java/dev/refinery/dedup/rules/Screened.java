package dev.refinery.dedup.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
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
  private static final Pattern TOKEN =
      Pattern.compile(
          "\\p{L}[\\p{L}\\p{M}\\p{N}'’\\-]*|\\p{N}[\\p{N}.,]*\\p{N}|\\p{N}|[^\\s\\p{Z}\\p{L}\\p{N}]");

  private final String url;
  private final String source;
  private final Map<String, Double> signals = new LinkedHashMap<>();
  private final Map<String, String> attributes = new LinkedHashMap<>();
  private String text;
  private List<String> words;
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

  /** Replaces the text (a rule that cleans or redacts). */
  public void rewrite(String newText) {
    this.text = newText;
    this.words = null;
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
      List<String> out = new ArrayList<>(text.length() / 5);
      Matcher m = TOKEN.matcher(text);
      while (m.find()) {
        out.add(m.group());
      }
      words = out;
    }
    return words;
  }

  /** The lines of the text, as {@code str.splitlines()} gives them. */
  public List<String> lines() {
    if (lines == null) {
      lines = List.of(text.split("\\r?\\n|\\r", -1));
      if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty() && text.endsWith("\n")) {
        lines = lines.subList(0, lines.size() - 1);
      }
    }
    return lines;
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
