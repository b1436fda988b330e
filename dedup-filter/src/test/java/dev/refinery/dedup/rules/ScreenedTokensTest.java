package dev.refinery.dedup.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * The word scanner finds exactly the tokens the pattern it replaced found; the other scans answer
 * as the string operations they replaced.
 */
class ScreenedTokensTest {
  static final String[] PIECES = {
    "a",
    "Z",
    "é",
    "e\u0301",
    "\u0301",
    "ß",
    "日",
    "本",
    "ж",
    "ب",
    "1",
    "9",
    "٣",
    "²",
    "Ⅻ",
    "½",
    ".",
    ",",
    "'",
    "\u2019",
    "-",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\u00a0",
    "\u2028",
    "\u3000",
    "!",
    "#",
    "…",
    "\uD83D\uDE00",
    "\uD835\uDC00",
    "\uD800",
    "@",
    "_"
  };

  @Test
  void theScannerFindsWhatThePatternFound() {
    Random random = new Random(16);
    for (int round = 0; round < 40_000; round++) {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(25); i > 0; i--) {
        // a piece, or any ASCII character: control characters, DEL, every punctuation mark
        if (random.nextBoolean()) {
          text.append(PIECES[random.nextInt(PIECES.length)]);
        } else {
          text.append((char) random.nextInt(0x80));
        }
      }
      List<String> expected = new ArrayList<>();
      Matcher m = Screened.TOKEN.matcher(text);
      while (m.find()) {
        expected.add(m.group());
      }
      assertThat(Screened.tokens(text.toString())).as("[%s]", text).isEqualTo(expected);
      assertThat(new Screened(text.toString(), null, null).wordCount())
          .as("words counted without making them, [%s]", text)
          .isEqualTo(expected.size());
    }
  }

  @Test
  void wordsAreWhereTheyBeginAndEndInTheText() {
    Screened.Tokens words = Screened.tokens("Hi, 3.5 ok");
    assertThat(words).containsExactly("Hi", ",", "3.5", "ok");
    assertThat(words.text()).isEqualTo("Hi, 3.5 ok");
    assertThat(List.of(words.start(0), words.start(1), words.start(2), words.start(3)))
        .containsExactly(0, 2, 4, 8);
    assertThat(words.end(2)).isEqualTo(7);
    assertThat(words.length(3)).isEqualTo(2);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> words.start(4))
        .isInstanceOf(IndexOutOfBoundsException.class);
    // more words than the text's length / 5 it makes room for at first
    assertThat(Screened.tokens(",".repeat(1000))).hasSize(1000).allMatch(","::equals);
    assertThat(Screened.Tokens.of(List.of("a", "bc", "", "d"))).containsExactly("a", "bc", "", "d");
  }

  @Test
  void theWordCountIsTheTextsAfterEveryRewriteWhicheverCameFirst() {
    Screened doc = new Screened("one two three", null, null);
    assertThat(doc.wordCount()).isEqualTo(3);
    doc.rewrite("one two");
    assertThat(doc.wordCount()).isEqualTo(2);
    assertThat(doc.words()).containsExactly("one", "two");
    doc.rewrite("one two three four");
    assertThat(doc.words()).hasSize(4);
    assertThat(doc.wordCount()).isEqualTo(4);
    doc.rewrite("one two three four"); // the same text keeps its views
    assertThat(doc.wordCount()).isEqualTo(4);
    doc.rewrite("one, two");
    assertThat(doc.wordCount()).isEqualTo(3);
  }

  @Test
  void theLineAndWordScansSplitAsTheRegularExpressionsTheyReplaced() {
    Random random = new Random(17);
    String[] pieces = {"a", "bc", " ", "\t", "\n", "\r", "\r\n", "\u000b", "\f", "\u00a0", "."};
    for (int round = 0; round < 20_000; round++) {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(12); i > 0; i--) {
        text.append(pieces[random.nextInt(pieces.length)]);
      }
      String t = text.toString();
      List<String> lines = new ArrayList<>(List.of(t.split("\\r?\\n|\\r", -1)));
      if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty() && t.endsWith("\n")) {
        lines.remove(lines.size() - 1);
      }
      assertThat(Screened.lines(t)).as("[%s]", t).isEqualTo(lines);
      assertThat(C4Filter.words(t))
          .as("[%s]", t)
          .isEqualTo(t.isEmpty() ? 0 : t.split("\\s+").length);
    }
  }

  @Test
  void theEndMarkCheckAnswersAsTheStringOperationsItReplaced() {
    Random random = new Random(18);
    String[] pieces = {
      "the",
      "THE",
      "Of",
      "wİth",
      "İ",
      "\u212a",
      "ſ",
      "a",
      ".",
      "!",
      "…",
      "”",
      ")",
      "x",
      " ",
      "\t",
      "\u2028",
      "\u00a0",
      "\u3000",
      "\uD83D\uDE00",
      "\uD800",
      "\uDE00",
      "。"
    };
    for (int round = 0; round < 20_000; round++) {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(6); i > 0; i--) {
        text.append(pieces[random.nextInt(pieces.length)]);
      }
      String t = text.toString();
      String right = t.stripTrailing();
      assertThat(Words.endsWithTerminal(t))
          .as("[%s]", t)
          .isEqualTo(
              !right.isEmpty() && ".!?\"'”’。！？…)]".indexOf(right.charAt(right.length() - 1)) >= 0);
    }
  }
}
