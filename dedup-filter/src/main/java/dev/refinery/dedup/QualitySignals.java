package dev.refinery.dedup;

import java.util.LinkedHashMap;
import java.util.Map;

/** Cheap measurements of a text that the rules use and that accepted documents carry. */
public record QualitySignals(int chars, int words, int lines, double meanWordLength) {

  public static QualitySignals of(String text) {
    int words = 0;
    int wordChars = 0;
    int lines = text.isEmpty() ? 0 : 1;
    boolean inWord = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n') {
        lines++;
      }
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        inWord = false;
      } else {
        if (!inWord) {
          words++;
          inWord = true;
        }
        wordChars++;
      }
    }
    return new QualitySignals(
        text.length(), words, lines, words == 0 ? 0 : (double) wordChars / words);
  }

  /** As the {@code signals} map of a clean document. */
  public Map<String, Double> asMap() {
    Map<String, Double> map = new LinkedHashMap<>();
    map.put("chars", (double) chars);
    map.put("words", (double) words);
    map.put("lines", (double) lines);
    map.put("mean_word_length", meanWordLength);
    return map;
  }
}
