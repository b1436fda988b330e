package dev.refinery.dedup.rules;

import static dev.refinery.dedup.rules.Texts.apply;
import static dev.refinery.dedup.rules.Texts.distinct;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.text.SyntheticText;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FineWebQualityTest {
  final FineWebQuality rule = new FineWebQuality();

  /**
   * {@code n} lines of 47 characters (8 words), the first {@code punctuated} ending in a period.
   */
  static String lines(int n, int punctuated) {
    List<String> lines = new ArrayList<>();
    String[] words = distinct(8 * n, 5).split(" ");
    for (int i = 0; i < n; i++) {
      lines.add(
          String.join(" ", List.of(words).subList(8 * i, 8 * i + 8)) + (i < punctuated ? "." : ""));
    }
    return String.join("\n", lines);
  }

  @Test
  void prosePasses() {
    assertThat(apply(rule, SyntheticText.text(11, 5))).isEmpty();
  }

  @Test
  void twelvePercentOfLinesMustEndInPunctuation() {
    // 3 of 25 = 0.12 passes; 2 of 25 = 0.08 fails
    assertThat(apply(rule, lines(25, 3))).isEmpty();
    assertThat(apply(rule, lines(25, 2)))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("FINEWEB_LINE_PUNCT_RATIO");
              assertThat(r.measured()).isEqualTo(0.08);
              assertThat(r.threshold()).isEqualTo(0.12);
            });
  }

  @Test
  void atMostTwoThirdsOfLinesAreShort() {
    // short lines: 30 characters or fewer. 2 of 3 = 0.667 is within 0.67; 3 of 4 is not
    String shortLine = "A short line that ends here.";
    assertThat(shortLine).hasSizeLessThanOrEqualTo(30);
    String twoOfThree = lines(1, 1) + "\n" + shortLine + "\n" + shortLine.replace("A", "One");
    assertThat(apply(rule, twoOfThree)).isEmpty();
    String threeOfFour = twoOfThree + "\nAnd a third short one.";
    assertThat(apply(rule, threeOfFour))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("FINEWEB_SHORT_LINE_RATIO");
              assertThat(r.measured()).isEqualTo(0.75);
            });
  }

  @Test
  void atMostOnePercentOfCharactersInRepeatedLines() {
    // a repeated line of 4 characters in 10 lines of 48: 4 / 488 < 0.01 (line breaks not counted)
    String text = lines(10, 10) + "\nYes.\nYes.";
    assertThat(apply(rule, text)).isEmpty();
    // repeated three times: 8 / 492 > 0.01
    assertThat(apply(rule, text + "\nYes."))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("FINEWEB_CHAR_DUP_RATIO");
              assertThat(r.measured()).isEqualTo(8.0 / 492);
            });
  }

  @Test
  void listsWithALineBreakEveryThreeWordsAreRejected() {
    // lines of two 15-letter words and a period: 3 tokens, 33 characters (not short)
    String[] w = distinct(40, 15).split(" ");
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < 11; i++) {
      list.append(i == 0 ? "" : "\n").append(w[2 * i]).append(' ').append(w[2 * i + 1]).append('.');
    }
    // 10 lines: 9 breaks per 30 tokens, at the bound of 0.3
    String ten = list.substring(0, list.lastIndexOf("\n"));
    assertThat(apply(rule, ten)).isEmpty();
    // 11 lines: 10 per 33
    assertThat(apply(rule, list.toString()))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("FINEWEB_LIST_RATIO");
              assertThat(r.measured()).isEqualTo(10.0 / 33);
            });
  }
}
