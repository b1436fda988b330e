package dev.refinery.dedup.rules;

import static dev.refinery.dedup.rules.Texts.screened;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.dedup.TextFingerprint;
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

  @Test
  void aPageCleanedOnlyOfWhiteSpaceSaysSoAndNormalizesAsItCame() {
    String a = "The committee met on Tuesday to review the annual budget.";
    String b = "Members agreed to fund the new library wing next spring.";
    String c = "The vote passed with a clear majority of the members present.";
    // blank lines, white space at the lines' ends (tabs, an em space, an ideographic space, an
    // information separator), a carriage return
    String spaced = "\n\n" + a + " \t\n\n\u2003\n  " + b + "\r\n\u3000\n\u001c" + c + "\n \n";
    Screened doc = screened(spaced);
    assertThat(rule.apply(doc)).isEmpty();
    assertThat(doc.text()).isEqualTo(a + "\n" + b + "\n" + c);
    assertThat(doc.normalizesAsCreated()).isTrue();
    assertThat(TextFingerprint.of(doc.text())).isEqualTo(TextFingerprint.of(spaced));
    assertThat(TextFingerprint.of("id-1", doc.text()))
        .isEqualTo(TextFingerprint.of("id-1", spaced));

    // a page left as it was has not been rewritten at all
    Screened same = screened(a + "\n" + b + "\n" + c);
    rule.apply(same);
    assertThat(same.normalizesAsCreated()).isTrue();

    // what C4 takes besides white space: a line of words, a citation, a notice, a line of a
    // no-break space (white space to the fingerprint, not to String.strip: said to be more, safely)
    for (String more :
        new String[] {
          "Home | About", "[1]", "This site uses cookies to improve your visit.", "\u00a0"
        }) {
      String page = a + "\n\n" + b + (more.equals("[1]") ? more : "\n" + more) + "\n" + c;
      Screened cut = screened(page);
      assertThat(rule.apply(cut)).as(more).isEmpty();
      assertThat(cut.normalizesAsCreated()).as(more).isFalse();
    }
    // a later rewrite that says nothing of white space (a redaction) ends it
    doc.rewrite(doc.text().replace("Tuesday", "[DATE]"));
    assertThat(doc.normalizesAsCreated()).isFalse();
  }

  /**
   * Random pages of prose, blank and spaced lines, Greek with a final Σ, combining marks opening a
   * line, lines C4 drops and citations: wherever the rule says the page lost only white space, its
   * fingerprints are those of the page as it came.
   */
  @Test
  void everyPageSaidToLoseOnlyWhiteSpaceHasTheFingerprintsOfThePageAsItCame() {
    java.util.Random random = new java.util.Random(53);
    String[] spaces = {" ", "\t", "\u2003", "\u3000", "\u2028", "\u001f", "\r", "  \t "};
    String[] lines = {
      SyntheticText.text(1, 1),
      SyntheticText.text(2, 1),
      "ΟΔΟΣ ΚΑΙ ΛΟΓΟΣ ΕΙΝΑΙ ΕΔΩ ΟΛΟΣ ΚΑΙ ΠΑΣ.",
      "\u0301e\u0301 combining marks open this line of words here.",
      "Ǆ and ﬁ and Ⅻ and ｆｕｌｌ width words are here too.",
      "Home | About | Contact",
      "A line with a citation in it and enough words.[2]",
      "Please enable JavaScript to see all of the page here.",
      "\u00a0",
      "",
    };
    int whiteSpaceOnly = 0;
    for (int round = 0; round < 3000; round++) {
      StringBuilder page = new StringBuilder();
      for (int i = 3 + random.nextInt(8); i > 0; i--) {
        // mostly prose, which C4 keeps, so that many pages lose only white space
        String line = lines[random.nextInt(5) == 0 ? 5 + random.nextInt(5) : random.nextInt(5)];
        if (random.nextInt(3) == 0) {
          line = spaces[random.nextInt(spaces.length)] + line;
        }
        if (random.nextInt(3) == 0) {
          line = line + spaces[random.nextInt(spaces.length)];
        }
        page.append(page.length() == 0 && random.nextBoolean() ? "" : "\n").append(line);
      }
      String arrived = page.toString();
      Screened doc = screened(arrived);
      if (rule.apply(doc).isPresent() || !doc.normalizesAsCreated()) {
        continue;
      }
      whiteSpaceOnly++;
      assertThat(TextFingerprint.normalize(doc.text()))
          .as("[%s]", arrived)
          .isEqualTo(TextFingerprint.normalize(arrived));
      assertThat(TextFingerprint.ofTextAndReplay("doc-" + round, doc.text()))
          .as("[%s]", arrived)
          .isEqualTo(
              new TextFingerprint.TextAndReplay(
                  TextFingerprint.of(arrived), TextFingerprint.of("doc-" + round, arrived)));
    }
    assertThat(whiteSpaceOnly).isGreaterThan(500);
  }
}
