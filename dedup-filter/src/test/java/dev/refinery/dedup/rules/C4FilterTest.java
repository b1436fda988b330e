package dev.refinery.dedup.rules;

import static dev.refinery.dedup.rules.Texts.screened;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.text.SyntheticText;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class C4FilterTest {
  final C4Filter rule = new C4Filter();

  @Test
  void keepsProseLinesAndDropsMenusNoticesAndCitations() {
    String page =
        String.join(
            "\n",
            "Home | About | Contact",
            "The committee met on Tuesday to review the annual budget.[1]",
            "This site uses cookies to improve your experience on the page.",
            "Members agreed to fund the new library wing next spring.[citation needed]",
            "Please enable JavaScript to view the comments on this story.",
            "Short line.",
            "The vote passed with a clear majority of the members present.");
    Screened doc = screened(page);
    assertThat(rule.apply(doc)).isEmpty();
    assertThat(doc.text())
        .isEqualTo(
            String.join(
                "\n",
                "The committee met on Tuesday to review the annual budget.",
                "Members agreed to fund the new library wing next spring.",
                "The vote passed with a clear majority of the members present."));
    assertThat(doc.signals())
        .containsEntry("c4_lines_dropped", 4.0)
        .containsEntry("c4_sentences", 3.0);
  }

  @Test
  void aLineNeedsFiveWords() {
    String four = "One two three four.";
    String five = "One two three four five.";
    Screened doc = screened(String.join("\n", five, four, five + " Two more. And three."));
    rule.apply(doc);
    assertThat(doc.text()).isEqualTo(five + "\n" + five + " Two more. And three.");
  }

  @Test
  void threeSentencesLeftAreEnoughTwoAreNot() {
    String two = "The first sentence has enough words. The second one does too.";
    assertThat(rule.apply(screened(two)))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("C4_TOO_FEW_SENTENCES");
              assertThat(r.measured()).isEqualTo(2.0);
              assertThat(r.threshold()).isEqualTo(3.0);
            });
    assertThat(rule.apply(screened(two + " A third is here now."))).isEmpty();
  }

  @Test
  void loremIpsumAndCurlyBracketsDropThePage() {
    String prose = SyntheticText.text(5, 2);
    Optional<Rejection> lorem =
        rule.apply(screened(prose + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit."));
    assertThat(lorem).hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo("C4_LOREM_IPSUM"));
    Optional<Rejection> code =
        rule.apply(screened(prose + "\nThe function returns { value: 1 } to the caller."));
    assertThat(code).hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo("C4_CURLY_BRACKET"));
    // a bracket in a line that would be dropped anyway (no terminal punctuation) does not count
    assertThat(rule.apply(screened(prose + "\nfunction f() { return 1 }"))).isEmpty();
  }

  @Test
  void anEllipsisDoesNotEndASentenceAndLongWordsDropTheLine() {
    Screened doc =
        screened(
            SyntheticText.text(2, 2)
                + "\nAnd then the story went on and on...\nA word "
                + "x".repeat(1001)
                + " is far too long.");
    rule.apply(doc);
    assertThat(doc.text()).isEqualTo(SyntheticText.text(2, 2));
  }

  @Test
  void sentencesAreCountedAsThePatternCountedThem() {
    java.util.regex.Pattern end = java.util.regex.Pattern.compile("[.!?\"](?=\\s|$)");
    java.util.Random random = new java.util.Random(4);
    String alphabet = "ab .!?\"\t\u00a0\u2003x";
    for (int round = 0; round < 5000; round++) {
      StringBuilder line = new StringBuilder();
      for (int i = random.nextInt(30); i > 0; i--) {
        line.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      java.util.regex.Matcher m = end.matcher(line);
      int n = 0;
      while (m.find()) {
        n++;
      }
      assertThat(C4Filter.sentences(line.toString()))
          .as("[%s]", line)
          .isEqualTo(Math.max(n, line.toString().isBlank() ? 0 : 1));
    }
  }
}
