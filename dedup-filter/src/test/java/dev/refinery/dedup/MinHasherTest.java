package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.infra.text.SyntheticText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MinHasherTest {
  final MinHasher fineWeb = new MinHasher(5, 14, 8, 1);

  @Test
  void theSignatureIgnoresCasePunctuationAndSpacing() {
    String text = SyntheticText.text(1, 3);
    String noisy = text.toUpperCase().replace(" ", "  \t").replace(".", " ;");
    assertThat(fineWeb.signature(noisy)).isEqualTo(fineWeb.signature(text));
    assertThat(fineWeb.signature(text)).hasSize(112);
  }

  /**
   * The band hashes are stored keys ({@code dedup-smallest}) and record keys: a build that computed
   * them otherwise would not find the documents of the one before. These are 0.1's.
   */
  @Test
  void theBandsAreThoseOfTheReleasedBuilds() {
    String text =
        "Refinery keeps every token's lineage back to its document and licence, exactly once,"
            + " under any crash.";
    assertThat(fineWeb.bandHashes(fineWeb.signature(text)))
        .containsExactly(
            0xd457c482ae84fef0L,
            0xb5de00484fb00fa7L,
            0x97b64b0c0bd356cdL,
            0x0d88a2c80f1b5703L,
            0xaff0bb13da44ca16L,
            0x06f3775fb1c39abaL,
            0xe7eb2bd3a5549f42L,
            0xe56b6bc884ea86c0L,
            0xa59378c2c8e58cdaL,
            0x594e77bda2315ff5L,
            0x2ce343d0f7da59ebL,
            0x396f7c76f71a402cL,
            0x4113035a7da181fcL,
            0x2c964a940b788a43L);
    // compiled (the vectorized minimum) as interpreted
    long[] first = fineWeb.signature(text);
    for (int i = 0; i < 20_000; i++) {
      assertThat(fineWeb.signature(text)).isEqualTo(first);
    }
  }

  /**
   * Every signature is the one the released builds computed, whatever the text and the n-gram size:
   * {@link #released} is their code, dividing by the n-gram size and calling {@link Character} for
   * every character, which the hasher now avoids.
   */
  @Test
  void signaturesAreThoseOfTheReleasedCodeOnRandomTexts() {
    String alphabet = "aZ9 ,.\n\t-'_İıſßÉéЖж字ー١٢ \u00a0\u2028🙂";
    SplittableRandom random = new SplittableRandom(16);
    for (int ngram = 1; ngram <= 7; ngram++) {
      MinHasher hasher = new MinHasher(ngram, 3, 4, ngram);
      for (int t = 0; t < 400; t++) {
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(200);
        for (int i = 0; i < length; i++) {
          text.append(
              random.nextInt(4) == 0
                  ? (char) random.nextInt(0x3000)
                  : alphabet.charAt(random.nextInt(alphabet.length())));
        }
        assertThat(hasher.signature(text))
            .as("n-gram %d, text %s", ngram, text)
            .isEqualTo(released(ngram, 12, ngram, text));
      }
    }
  }

  /** The signature as the released builds' code computed it. */
  static long[] released(int ngram, int hashes, long seed, CharSequence text) {
    long[] a = new long[hashes];
    long[] b = new long[hashes];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < hashes; i++) {
      a[i] = random.nextLong() | 1L;
      b[i] = random.nextLong();
    }
    long[] min = new long[hashes];
    Arrays.fill(min, 0xFFFF_FFFFL);
    long[] window = new long[ngram];
    int words = 0;
    long word = 0xcbf29ce484222325L;
    boolean inWord = false;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : ' ';
      if (Character.isLetterOrDigit(c)) {
        word = (word ^ Character.toLowerCase(c)) * 0x100000001b3L;
        inWord = true;
      } else if (inWord) {
        window[words % ngram] = MinHasher.mix(word);
        words++;
        if (words >= ngram) {
          releasedUpdate(min, a, b, releasedShingle(window, words, ngram));
        }
        word = 0xcbf29ce484222325L;
        inWord = false;
      }
    }
    if (words > 0 && words < ngram) {
      releasedUpdate(min, a, b, releasedShingle(window, words, ngram));
    }
    return min;
  }

  private static void releasedUpdate(long[] min, long[] a, long[] b, long x) {
    for (int i = 0; i < min.length; i++) {
      min[i] = Math.min(min[i], (a[i] * x + b[i]) >>> 32);
    }
  }

  private static long releasedShingle(long[] window, int words, int ngram) {
    long h = 0x2545F4914F6CDD1DL;
    for (int k = Math.min(ngram, words); k >= 1; k--) {
      h = MinHasher.mix(h * 31 + window[(words - k) % ngram]);
    }
    return h;
  }

  @Test
  void theSeedFixesTheFunctions() {
    String text = SyntheticText.text(2, 2);
    assertThat(new MinHasher(5, 14, 8, 1).signature(text)).isEqualTo(fineWeb.signature(text));
    assertThat(new MinHasher(5, 14, 8, 2).signature(text)).isNotEqualTo(fineWeb.signature(text));
  }

  @Test
  void similarityEstimatesTheJaccardIndexOfTheShingles() {
    // a document with a tail replaced: the true Jaccard of the 5-gram sets, against the estimate
    MinHasher many = new MinHasher(5, 64, 16, 7);
    for (int replaced : new int[] {10, 40, 80}) {
      List<String> a = words(SyntheticText.text(3, 12));
      List<String> b = new ArrayList<>(a);
      SplittableRandom r = new SplittableRandom(replaced);
      for (int i = 0; i < replaced; i++) {
        b.set(r.nextInt(b.size()), "zz" + i);
      }
      double truth = jaccard(shingles(a), shingles(b));
      double estimate =
          MinHasher.similarity(
              many.signature(String.join(" ", a)), many.signature(String.join(" ", b)));
      // 1024 hashes: the standard error is under 0.016
      assertThat(estimate)
          .as("%d words replaced, true Jaccard %.3f", replaced, truth)
          .isCloseTo(truth, org.assertj.core.data.Offset.offset(0.06));
    }
  }

  @Test
  void nearCopiesShareABandAndUnrelatedTextsDoNot() {
    String text = SyntheticText.text(4, 10);
    String edited = text.replaceFirst("The ", "Then the ").replaceFirst(" the ", " a ");
    long[] x = fineWeb.bandHashes(fineWeb.signature(text));
    long[] y = fineWeb.bandHashes(fineWeb.signature(edited));
    assertThat(shared(x, y)).isGreaterThan(0);
    for (int seed = 10; seed < 40; seed++) {
      long[] other = fineWeb.bandHashes(fineWeb.signature(SyntheticText.text(seed, 10)));
      assertThat(shared(x, other)).as("seed %d", seed).isZero();
    }
  }

  @Test
  void bandsOfTheSameRowsInDifferentPositionsDiffer() {
    long[] signature = new long[112];
    long[] bands = fineWeb.bandHashes(signature);
    assertThat(new HashSet<>(Arrays.stream(bands).boxed().toList())).hasSize(14);
  }

  @Test
  void shortTextsAreOneShingleAndEmptyTextsHaveNone() {
    assertThat(fineWeb.signature("two words")).isEqualTo(fineWeb.signature("Two, words!"));
    assertThat(fineWeb.signature("two words")).isNotEqualTo(fineWeb.signature("two other"));
    assertThat(fineWeb.signature("")).containsOnly(0xFFFF_FFFFL);
    assertThatThrownBy(() -> new MinHasher(0, 14, 8, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static int shared(long[] x, long[] y) {
    int n = 0;
    for (int i = 0; i < x.length; i++) {
      n += x[i] == y[i] ? 1 : 0;
    }
    return n;
  }

  static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    for (String w : text.toLowerCase().split("[^\\p{L}\\p{N}]+")) {
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }

  static Set<String> shingles(List<String> words) {
    Set<String> out = new HashSet<>();
    for (int i = 0; i + 5 <= words.size(); i++) {
      out.add(String.join(" ", words.subList(i, i + 5)));
    }
    return out;
  }

  static double jaccard(Set<String> a, Set<String> b) {
    Set<String> union = new HashSet<>(a);
    union.addAll(b);
    Set<String> both = new HashSet<>(a);
    both.retainAll(b);
    return (double) both.size() / union.size();
  }
}
