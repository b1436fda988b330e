package dev.refinery.dedup.rules;

import static dev.refinery.dedup.rules.Texts.apply;
import static dev.refinery.dedup.rules.Texts.distinct;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.text.SyntheticText;
import java.util.List;
import org.junit.jupiter.api.Test;

class GopherRepetitionTest {
  final GopherRepetition rule = new GopherRepetition();

  /** Line {@code i}: twelve distinct five-letter words no other line has. */
  static String line(int i) {
    String all = distinct(12 * (i + 1), 5);
    return all.substring(all.length() - (12 * 6 - 1));
  }

  static String lines(int unique, String repeated, int copies) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < unique; i++) {
      text.append(line(i)).append('\n');
    }
    for (int i = 0; i < copies; i++) {
      text.append(repeated).append('\n');
    }
    return text.toString().strip();
  }

  @Test
  void proseIsNotRepetitive() {
    assertThat(apply(rule, SyntheticText.text(7, 6))).isEmpty();
  }

  @Test
  void aDocumentThatPassesCarriesEverySignalByItsName() {
    Screened doc = new Screened(SyntheticText.text(7, 6), "https://example.org/", "web");
    assertThat(rule.apply(doc)).isEmpty();
    assertThat(doc.signals())
        .containsOnlyKeys(
            "dup_para_frac",
            "dup_line_frac",
            "top_2_gram_frac",
            "top_3_gram_frac",
            "top_4_gram_frac",
            "dup_5_gram_frac",
            "dup_6_gram_frac",
            "dup_7_gram_frac",
            "dup_8_gram_frac",
            "dup_9_gram_frac",
            "dup_10_gram_frac");
  }

  @Test
  void atMostThirtyPercentOfLinesRepeatAnEarlierLine() {
    // 6 unique lines and 4 copies of a short one: 3 duplicates of 10 lines, at the bound
    assertThat(apply(rule, lines(6, "Short one.", 4))).isEmpty();
    // 6 unique and 5 copies: 4 of 11
    assertThat(apply(rule, lines(6, "Short one.", 5)))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("DUP_LINE_FRAC");
              assertThat(r.measured()).isEqualTo(4.0 / 11);
              assertThat(r.threshold()).isEqualTo(0.3);
            });
  }

  @Test
  void atMostTwentyPercentOfCharactersInRepeatedLines() {
    // lines of 71 characters, one of them twice. 3 unique: 71 of 359 characters (0.198) passes the
    // line checks (its repeated 6-grams fail a later check)
    assertThat(apply(rule, lines(3, line(100), 2)))
        .hasValueSatisfying(r -> assertThat(r.reason()).doesNotStartWith("DUP_LINE"));
    // 2 unique: 1 duplicate of 4 lines is allowed, but not 71 of 287 characters
    assertThat(apply(rule, lines(2, line(100), 2)))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("DUP_LINE_CHAR_FRAC");
              assertThat(r.measured()).isEqualTo(71.0 / (4 * 71 + 3));
              assertThat(r.threshold()).isEqualTo(0.2);
            });
  }

  @Test
  void duplicateParagraphsAreCountedBeforeLines() {
    String paragraph = line(50) + "\n" + line(51);
    String text = String.join("\n\n", line(1), line(2), paragraph, paragraph);
    assertThat(apply(rule, text))
        .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo("DUP_PARA_CHAR_FRAC"));
  }

  @Test
  void theMostFrequentBigramMayCoverATwentiethOfTheText() {
    // "ab cd" (5 characters) n times among distinct words
    String filler = distinct(40, 5);
    assertThat(GopherRepetition.topNgramChars(List.of("ab", "cd", "x", "ab", "cd"), 2))
        .isEqualTo(10.0);
    String text = filler + " ab cd ab cd ab cd ab cd";
    double frac = 20.0 / text.length();
    assertThat(frac).isLessThan(0.2);
    assertThat(apply(rule, text)).isEmpty();
    String heavy = distinct(8, 5) + " ab cd ab cd ab cd ab cd ab cd ab cd ab cd ab cd ab cd";
    assertThat(apply(rule, heavy))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("TOP_2_GRAM");
              assertThat(r.measured()).isEqualTo(45.0 / heavy.length());
            });
  }

  @Test
  void repeatedFiveGramsCountOncePerRepeat() {
    List<String> words = List.of("a", "b", "c", "d", "e", "a", "b", "c", "d", "e", "f");
    // the second a-b-c-d-e repeats the first: 5 characters, then the scan skips past it
    assertThat(GopherRepetition.duplicatedNgramChars(words, 5)).isEqualTo(5.0);
    String text = SyntheticText.text(3, 2);
    String repeated = text + " " + text.substring(0, text.length() / 3);
    assertThat(apply(rule, repeated))
        .hasValueSatisfying(r -> assertThat(r.reason()).startsWith("DUPLICATED_"));
  }
}
