package dev.refinery.dedup.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * C4's page cleaning (Raffel et al. 2020, section 2.2), which rewrites the text, then drops pages
 * left too short. We follow the paper, whose numbers TensorFlow Datasets' reference code ({@code
 * c4_utils.clean_page}) also uses: keep lines that end in terminal punctuation (not an ellipsis),
 * have at least 5 words, no word over 1,000 characters, no "javascript" and no cookie or policy
 * notice; strip citation marks ([1], [edit], [citation needed]); drop pages with "lorem ipsum" or a
 * curly bracket, or fewer than 3 sentences left. (datatrove's {@code C4QualityFilter} defaults
 * differ: 3 words per line and 5 sentences.) Sentences are counted as terminal punctuation followed
 * by a space or the end of the line, where TFDS uses NLTK's Punkt tokenizer.
 */
public final class C4Filter extends Rule {
  public static final String NAME = "c4";
  private static final Pattern CITATION =
      Pattern.compile("\\[\\d*]|\\[edit]|\\[citation needed]", Pattern.CASE_INSENSITIVE);
  private static final List<String> POLICY =
      List.of(
          "terms of use",
          "privacy policy",
          "cookie policy",
          "uses cookies",
          "use of cookies",
          "use cookies");

  int minWordsPerLine = 5;
  int minSentences = 3;
  int maxWordLength = 1000;

  public C4Filter() {
    super(NAME);
  }

  @Override
  public Optional<Rejection> apply(Screened doc) {
    List<String> kept = new ArrayList<>();
    int sentences = 0;
    int dropped = 0;
    // whether the page loses only white space: blank lines, and white space at a line's ends
    boolean whiteSpaceOnly = true;
    // the order of c4_utils.clean_page: long words, citations, end mark, words per line; a page is
    // dropped for lorem ipsum or a curly bracket only in a line that has passed those
    for (String raw : doc.text().split("\n")) {
      String stripped = raw.strip();
      // no word is longer than its line
      if (stripped.length() > maxWordLength && longestWord(stripped) > maxWordLength) {
        dropped++;
        whiteSpaceOnly = false;
        continue;
      }
      String line =
          stripped.indexOf('[') < 0 ? stripped : CITATION.matcher(stripped).replaceAll("");
      if (line.length() != stripped.length()) {
        whiteSpaceOnly = false;
      }
      boolean prose =
          (line.endsWith(".") || line.endsWith("?") || line.endsWith("!") || line.endsWith("\""))
              && !line.endsWith("...")
              && words(line) >= minWordsPerLine;
      if (!prose) {
        dropped++;
        whiteSpaceOnly &= stripped.isEmpty();
        continue;
      }
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.contains("lorem ipsum")) {
        return Optional.of(
            new Rejection(NAME, "C4_LOREM_IPSUM", "the page contains \"lorem ipsum\"", null, null));
      }
      if (lower.contains("javascript")) {
        dropped++;
        whiteSpaceOnly = false;
        continue;
      }
      if (line.contains("{")) {
        return Optional.of(
            new Rejection(
                NAME, "C4_CURLY_BRACKET", "the page contains a curly bracket (code)", null, null));
      }
      if (mentionsPolicy(lower)) {
        dropped++;
        whiteSpaceOnly = false;
        continue;
      }
      kept.add(line);
      sentences += sentences(line);
    }
    doc.signal("c4_lines_dropped", dropped);
    doc.signal("c4_sentences", sentences);
    if (sentences < minSentences) {
      return Optional.of(
          Rejection.of(
              NAME,
              "C4_TOO_FEW_SENTENCES",
              "sentences left after line cleaning",
              sentences,
              "<",
              minSentences));
    }
    doc.rewrite(String.join("\n", kept), whiteSpaceOnly);
    return Optional.empty();
  }

  private static boolean mentionsPolicy(String lower) {
    for (String phrase : POLICY) {
      if (lower.contains(phrase)) {
        return true;
      }
    }
    return false;
  }

  /**
   * How many words {@code line.split("\\s+")} gives, by a scan: the runs between white space, and
   * the empty word before white space that opens the line (none when the line has no run).
   */
  static int words(String line) {
    int runs = 0;
    boolean inRun = false;
    for (int i = 0; i < line.length(); i++) {
      boolean space = isSpace(line.charAt(i));
      if (!space && !inRun) {
        runs++;
      }
      inRun = !space;
    }
    return runs == 0 ? 0 : runs + (isSpace(line.charAt(0)) ? 1 : 0);
  }

  /** The longest run of characters between white space (the words {@code \\s+} splits). */
  private static int longestWord(String line) {
    int max = 0;
    int run = 0;
    for (int i = 0; i < line.length(); i++) {
      if (isSpace(line.charAt(i))) {
        run = 0;
      } else {
        max = Math.max(max, ++run);
      }
    }
    return max;
  }

  /** The characters of {@code \\s}: ASCII white space. */
  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }

  /** Sentence ends ({@code [.!?"]} before white space or the end), at least one in a line. */
  static int sentences(String line) {
    int n = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if ((c == '.' || c == '!' || c == '?' || c == '"')
          && (i + 1 == line.length() || isSpace(line.charAt(i + 1)))) {
        n++;
      }
    }
    return Math.max(n, line.isBlank() ? 0 : 1);
  }
}
