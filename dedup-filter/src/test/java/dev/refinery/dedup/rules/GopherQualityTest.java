package dev.refinery.dedup.rules;

import static dev.refinery.dedup.rules.Texts.apply;
import static dev.refinery.dedup.rules.Texts.distinct;
import static dev.refinery.dedup.rules.Texts.repeat;
import static dev.refinery.dedup.rules.Texts.screened;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.text.SyntheticText;
import org.junit.jupiter.api.Test;

class GopherQualityTest {
  final GopherQuality rule = new GopherQuality();

  /** {@code n} words of mean length 4: two stop words and n-2 distinct four-letter words. */
  static String words(int n) {
    return "the and " + distinct(n - 2, 4).replace("the ", "thx ");
  }

  @Test
  void proseOfAFewParagraphsPassesWithItsSignals() {
    Screened doc = screened(SyntheticText.text(1, 4));
    assertThat(rule.apply(doc)).isEmpty();
    assertThat(doc.signals())
        .containsKeys("gopher_words", "gopher_mean_word_length", "gopher_stop_words");
  }

  /**
   * A stop word is found in place as the lower-cased word would be found in the set: any case of
   * ASCII, and beyond it as {@link String#toLowerCase} has it (the dotted İ lower-cases into two
   * characters, the Kelvin sign into k).
   */
  @Test
  void aStopWordInPlaceIsTheLowerCasedWordInTheSet() {
    String alphabet = "theTHEbowfandANDvihaWIT\u0130\u212A\u00C9\u00E9 x";
    java.util.Random random = new java.util.Random(31);
    for (int round = 0; round < 50_000; round++) {
      StringBuilder text = new StringBuilder("..");
      int length = random.nextInt(6);
      for (int k = 0; k < length; k++) {
        text.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String word = text.substring(2);
      assertThat(GopherQuality.isStopWord(text.append("..").toString(), 2, 2 + length))
          .as("[%s]", word)
          .isEqualTo(GopherQuality.STOP_WORDS.contains(word.toLowerCase(java.util.Locale.ROOT)));
    }
    for (String w : GopherQuality.STOP_WORDS) {
      String upper = w.toUpperCase(java.util.Locale.ROOT);
      assertThat(GopherQuality.isStopWord("(" + upper + ")", 1, 1 + w.length())).isTrue();
    }
  }

  @Test
  void fiftyWordsAreEnoughFortyNineAreNot() {
    assertThat(apply(rule, words(50))).isEmpty();
    assertThat(apply(rule, words(49)))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("GOPHER_SHORT_DOC");
              assertThat(r.rule()).isEqualTo("gopher_quality");
              assertThat(r.measured()).isEqualTo(49.0);
              assertThat(r.threshold()).isEqualTo(50.0);
              assertThat(r.detail()).isEqualTo("words 49 < 50");
            });
  }

  @Test
  void symbolsAreNotWords() {
    // 49 words and a lone symbol: still short
    assertThat(apply(rule, words(49) + " &"))
        .hasValueSatisfying(r -> assertThat(r.measured()).isEqualTo(49.0));
  }

  @Test
  void meanWordLengthFromThreeToTen() {
    // 2 stop words (3 letters) + 48 words of 3 letters: mean exactly 3
    String three = "the and " + distinct(48, 3);
    assertThat(apply(rule, three)).isEmpty();
    String below = "the and " + distinct(47, 3) + " ab";
    assertThat(apply(rule, below))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("GOPHER_BELOW_AVG_WORD_LENGTH");
              assertThat(r.measured()).isEqualTo(149.0 / 50);
            });
    // 6 + 46 * 10 + 2 * 17 = 500 characters in 50 words: mean exactly 10
    String ten = "the and " + distinct(46, 10) + " " + distinct(2, 17);
    assertThat(apply(rule, ten)).isEmpty();
    String above = "the and " + distinct(46, 10) + " " + distinct(1, 17) + " " + "b".repeat(18);
    assertThat(apply(rule, above))
        .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo("GOPHER_ABOVE_AVG_WORD_LENGTH"));
  }

  @Test
  void atMostOneHashPerTenWords() {
    // 50 words and 5 hashes: 5 / 55 tokens; 6 hashes: 6 / 56 > 0.1
    assertThat(apply(rule, words(50) + repeat(" #", 5))).isEmpty();
    assertThat(apply(rule, words(50) + repeat(" #", 6)))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("GOPHER_TOO_MANY_HASHES");
              assertThat(r.measured()).isEqualTo(6.0 / 56);
              assertThat(r.threshold()).isEqualTo(0.1);
            });
  }

  @Test
  void bulletsAndEllipsesAtTheEndsOfLines() {
    String bullets = "- the and " + distinct(10, 4);
    for (int i = 0; i < 9; i++) {
      bullets += "\n- " + distinct(6, 5).replace("a", "e");
    }
    // ten lines of ten, all bullets: 1.0 > 0.9
    assertThat(apply(rule, bullets))
        .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo("GOPHER_TOO_MANY_BULLETS"));
    // nine of ten: 0.9, at the bound
    assertThat(apply(rule, bullets.replaceFirst("\n- ", "\n"))).isEmpty();
  }

  @Test
  void eightyPercentOfWordsNeedALetter() {
    // 48 words and 12 numbers: 48 / 60 = 0.8, at the bound; 13 numbers: 48 / 61
    assertThat(apply(rule, words(48) + repeat(" 7", 12))).isEmpty();
    assertThat(apply(rule, words(48) + repeat(" 7", 13)))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("GOPHER_BELOW_ALPHA_THRESHOLD");
              assertThat(r.measured()).isEqualTo(48.0 / 61);
              assertThat(r.threshold()).isEqualTo(0.8);
            });
  }

  @Test
  void twoStopWordsAreNeeded() {
    String one = "the " + distinct(49, 4).replace("the ", "thx ");
    assertThat(apply(rule, one))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("GOPHER_ENOUGH_STOP_WORDS");
              assertThat(r.measured()).isEqualTo(1.0);
            });
    assertThat(apply(rule, "with " + one)).isEmpty();
  }

  /** An abstract as curated corpora hold them: numbers, units and punctuation between the words. */
  static final String ABSTRACT =
      "Background: Hypertension (high blood pressure) affects adults worldwide [1]; of these,"
          + " nearly half are unaware of it. Methods: In a cohort (women and men, aged 30-79), we"
          + " measured systolic (SBP) and diastolic (DBP) pressure at baseline, 6, 12 and 24"
          + " months, and fitted mixed models (p < 0.05). Results: SBP fell by 7.2 mmHg (95% CI,"
          + " 5.9-8.4) with the intervention, versus 2.1 mmHg with usual care; DBP fell by 3.1 and"
          + " 0.9, respectively. Conclusions: A nurse-led program, delivered at home, lowered blood"
          + " pressure; the effect was sustained to the end of follow-up (24 months).";

  @Test
  void wordsWithALetterAreCountedAsThePaperCountsWords() {
    // whitespace-separated words, as Rae et al. count them: punctuation is not a word of its own
    Screened paper = screened(ABSTRACT);
    assertThat(rule.apply(paper)).isEmpty();
    assertThat(paper.signals().get("gopher_alpha_words_ratio")).isGreaterThanOrEqualTo(0.8);
    // datatrove's counting (every punctuation token a word) refuses the same abstract
    Screened datatrove = screened(ABSTRACT);
    assertThat(new GopherQuality(GopherQuality.WordCounting.DATATROVE).apply(datatrove))
        .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo("GOPHER_BELOW_ALPHA_THRESHOLD"));
  }

  /** The share as its definition asks it: every code point of every word. */
  static double wordsWithLetterByDefinition(String text) {
    int all = 0;
    int withLetter = 0;
    int i = 0;
    int n = text.length();
    while (i < n) {
      while (i < n && Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      boolean letter = false;
      while (i < n && !Character.isWhitespace(text.charAt(i))) {
        int cp = text.codePointAt(i);
        letter |= Character.isLetter(cp);
        i += Character.charCount(cp);
      }
      all++;
      if (letter) {
        withLetter++;
      }
    }
    return all == 0 ? 0 : (double) withLetter / all;
  }

  @Test
  void wordsWithALetterAreCountedAsEveryCodePointWouldCountThem() {
    // every ASCII character (white space from tab to CR and U+001C to U+001F among them), and
    // white space, letters and non-letters beyond it: NBSP (not white space to Java), U+2028,
    // U+3000, CJK, a combining mark, digits of other scripts, letters and symbols outside the BMP
    // and lone surrogates
    String[] pieces = {
      "\u00a0",
      "\u2028",
      "\u3000",
      "\u1680",
      "\u200b",
      "\u4e2d",
      "\u0301",
      "\u0663",
      "\u00e9",
      "\u0130",
      "\ud835\udc00",
      "\ud83d\ude00",
      "\ud800",
      "\udc00",
      "\ud835",
      "\u00ad",
      "\u2014"
    };
    java.util.Random random = new java.util.Random(16);
    for (int t = 0; t < 5_000; t++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(60);
      for (int k = 0; k < length; k++) {
        text.append(
            random.nextInt(3) == 0
                ? pieces[random.nextInt(pieces.length)]
                : String.valueOf((char) random.nextInt(0x80)));
      }
      String s = text.toString();
      assertThat(GopherQuality.whitespaceWordsWithLetter(s))
          .as("%s", s.codePoints().mapToObj(Integer::toHexString).toList())
          .isEqualTo(wordsWithLetterByDefinition(s));
    }
    assertThat(GopherQuality.whitespaceWordsWithLetter("a1 22 \u001f\ud835\udc00 \u00a0"))
        .isEqualTo(0.5);
  }
}
