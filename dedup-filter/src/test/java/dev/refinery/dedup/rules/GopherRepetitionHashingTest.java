package dev.refinery.dedup.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The hashed n-gram counts give exactly what the string n-grams gave (datatrove's definitions), on
 * random word sequences full of repeats, and where two word splits join to the same characters.
 */
class GopherRepetitionHashingTest {
  @Test
  void hashedNgramsCountAsTheStringsDid() {
    Random random = new Random(16);
    String[] vocabulary = {"a", "bc", "ab", "c", "the", "cat", "sat", "on", "mat", "é", "日本", ""};
    for (int round = 0; round < 2000; round++) {
      List<String> words = new ArrayList<>();
      // now and then a document longer than the shared table of powers at first
      int size = round % 200 == 0 ? 2000 + random.nextInt(2000) : random.nextInt(60);
      int kinds = 1 + random.nextInt(vocabulary.length - 1);
      for (int i = 0; i < size; i++) {
        words.add(
            random.nextInt(10) == 0
                ? "w" + random.nextInt(1000)
                : vocabulary[random.nextInt(kinds)]);
      }
      GopherRepetition.Grams reused = new GopherRepetition.Grams(words); // one table, all passes
      // the thread's tables, left by the documents before (longer and shorter ones)
      GopherRepetition.Grams thread = GopherRepetition.Grams.of(Screened.Tokens.of(words));
      for (int n = 1; n <= 10; n++) {
        // the table every pass before this one used, the thread's, and a fresh one
        for (GopherRepetition.Grams g :
            List.of(reused, thread, new GopherRepetition.Grams(words))) {
          String table =
              g == reused
                  ? "a table used before"
                  : g == thread ? "the thread's tables" : "a fresh table";
          assertThat(GopherRepetition.topNgramChars(g, n))
              .as("top %d-gram of %s, counted in %s", n, words, table)
              .isEqualTo(topNgramChars(words, n));
          assertThat(GopherRepetition.duplicatedNgramChars(g, n))
              .as("duplicated %d-grams of %s, counted in %s", n, words, table)
              .isEqualTo(duplicatedNgramChars(words, n));
        }
      }
    }
  }

  @Test
  void paragraphsAndLinesSplitAsTheRegularExpressionsDid() {
    java.util.regex.Pattern paragraphs = java.util.regex.Pattern.compile("\\n{2,}");
    java.util.regex.Pattern lines = java.util.regex.Pattern.compile("\\n+");
    Random random = new Random(23);
    String alphabet = "ab \n\n\n\r";
    for (int round = 0; round < 20_000; round++) {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(16); i > 0; i--) {
        text.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String t = text.toString();
      assertThat(split(t, 2)).as("[%s]", t).isEqualTo(paragraphs.split(t));
      assertThat(split(t.strip(), 2)).as("[%s]", t).isEqualTo(paragraphs.split(t.strip()));
      assertThat(split(t, 1)).as("[%s]", t).isEqualTo(lines.split(t));
    }
  }

  @Test
  void duplicatePartsCountAsASetOfTheStringsDid() {
    Random random = new Random(29);
    // parts of few lengths, so that many share one, and now and then more of one length than
    // are compared pair by pair
    String[] vocabulary = {"ab", "ba", "aa", "abc", "cba", "", " ", "é", "日本", "x y"};
    for (int round = 0; round < 20_000; round++) {
      StringBuilder text = new StringBuilder();
      int parts =
          round % 100 == 0
              ? 3 * GopherRepetition.PAIRWISE_MAX + random.nextInt(40)
              : random.nextInt(12);
      int kinds = 1 + random.nextInt(vocabulary.length);
      for (int i = 0; i < parts; i++) {
        text.append(vocabulary[random.nextInt(kinds)]);
        text.append("\n".repeat(random.nextInt(3)));
      }
      String t = text.toString();
      for (int minRun = 1; minRun <= 2; minRun++) {
        assertThat(GopherRepetition.duplicates(t, GopherRepetition.bounds(t, minRun)))
            .as("[%s] split at %d newlines", t, minRun)
            .containsExactly(duplicates(split(t, minRun)));
      }
    }
  }

  /** The parts {@link GopherRepetition#bounds} names, as strings. */
  private static String[] split(String text, int minRun) {
    int[] bounds = GopherRepetition.bounds(text, minRun);
    String[] parts = new String[bounds.length / 2];
    for (int p = 0; p < parts.length; p++) {
      parts[p] = text.substring(bounds[2 * p], bounds[2 * p + 1]);
    }
    return parts;
  }

  /** How many elements repeat an earlier one, and their characters: the definition, by a set. */
  private static long[] duplicates(String[] elements) {
    Set<String> seen = new HashSet<>();
    long count = 0;
    long chars = 0;
    for (String e : elements) {
      if (!seen.add(e)) {
        count++;
        chars += e.length();
      }
    }
    return new long[] {count, chars};
  }

  @Test
  void twoSplitsOfTheSameCharactersAreOneNgramWhenJoinedWithoutSpaces() {
    List<String> words = List.of("ab", "c", "x", "a", "bc");
    assertThat(GopherRepetition.duplicatedNgramChars(words, 2)).isEqualTo(3.0);
    assertThat(GopherRepetition.topNgramChars(words, 2)).isEqualTo(4.0);
  }

  /** The string implementation this replaced: the reference. */
  static double topNgramChars(List<String> words, int n) {
    if (words.size() < n) {
      return 0;
    }
    Map<String, Integer> counts = new HashMap<>();
    String top = null;
    int topCount = 0;
    for (int i = 0; i + n <= words.size(); i++) {
      String gram = String.join(" ", words.subList(i, i + n));
      int c = counts.merge(gram, 1, Integer::sum);
      if (c > topCount) {
        topCount = c;
        top = gram;
      }
    }
    return top == null ? 0 : (double) top.length() * topCount;
  }

  static double duplicatedNgramChars(List<String> words, int n) {
    Set<String> seen = new HashSet<>();
    long repeated = 0;
    int i = 0;
    while (i + n <= words.size()) {
      StringBuilder gram = new StringBuilder();
      for (int k = i; k < i + n; k++) {
        gram.append(words.get(k));
      }
      if (!seen.add(gram.toString())) {
        repeated += gram.length();
        i += n;
      } else {
        i++;
      }
    }
    return repeated;
  }
}
