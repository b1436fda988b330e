package dev.refinery.dedup.rules;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * FineWeb's own filters (Penedo et al. 2024), at the defaults of datatrove's {@code
 * FineWebQualityFilter}: at least 12 % of lines end in terminal punctuation; at most 67 % of lines
 * are 30 characters or shorter; at most 1 % of characters are in duplicated lines; at most 0.3 line
 * breaks per word (a list, not prose).
 */
public final class FineWebQuality extends Rule {
  public static final String NAME = "fineweb";

  double minLinePunctRatio = 0.12;
  double maxShortLineRatio = 0.67;
  int shortLineLength = 30;
  double maxCharDuplicatesRatio = 0.01;
  double maxNewLineRatio = 0.3;

  public FineWebQuality() {
    super(NAME);
  }

  @Override
  public Optional<Rejection> apply(Screened doc) {
    String text = doc.text();
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        lines.add(line);
      }
    }
    if (lines.isEmpty()) {
      return Optional.of(new Rejection(NAME, "FINEWEB_EMPTY", "no non-empty line", 0.0, 1.0));
    }
    int punct = 0;
    int shortLines = 0;
    for (String line : lines) {
      if (Words.endsWithTerminal(line)) {
        punct++;
      }
      if (line.length() <= shortLineLength) {
        shortLines++;
      }
    }
    double punctRatio = (double) punct / lines.size();
    doc.signal("fineweb_line_punct_ratio", punctRatio);
    if (punctRatio < minLinePunctRatio) {
      return Optional.of(
          Rejection.of(
              NAME,
              "FINEWEB_LINE_PUNCT_RATIO",
              "share of lines ending in punctuation",
              punctRatio,
              "<",
              minLinePunctRatio));
    }
    double shortRatio = (double) shortLines / lines.size();
    doc.signal("fineweb_short_line_ratio", shortRatio);
    if (shortRatio > maxShortLineRatio) {
      return Optional.of(
          Rejection.of(
              NAME,
              "FINEWEB_SHORT_LINE_RATIO",
              "share of lines of " + shortLineLength + " characters or fewer",
              shortRatio,
              ">",
              maxShortLineRatio));
    }
    Set<String> seen = new HashSet<>();
    long duplicateChars = 0;
    for (String line : lines) {
      if (!seen.add(line)) {
        duplicateChars += line.length();
      }
    }
    int newlines = newlines(text);
    double charDup = (double) duplicateChars / Math.max(1, text.length() - newlines);
    doc.signal("fineweb_char_dup_ratio", charDup);
    if (charDup > maxCharDuplicatesRatio) {
      return Optional.of(
          Rejection.of(
              NAME,
              "FINEWEB_CHAR_DUP_RATIO",
              "share of characters in duplicated lines",
              charDup,
              ">",
              maxCharDuplicatesRatio));
    }
    double newLineRatio = (double) newlines / Math.max(1, doc.wordCount());
    doc.signal("fineweb_new_line_ratio", newLineRatio);
    if (newLineRatio > maxNewLineRatio) {
      return Optional.of(
          Rejection.of(
              NAME,
              "FINEWEB_LIST_RATIO",
              "line breaks per word",
              newLineRatio,
              ">",
              maxNewLineRatio));
    }
    return Optional.empty();
  }

  private static int newlines(String text) {
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        n++;
      }
    }
    return n;
  }
}
