package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import dev.refinery.infra.testing.SharedData;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Refinery's own encoder gives jtokkit's ids (which {@link TiktokenParityTest} holds to tiktoken's)
 * for every built-in encoding and every text: random texts of the characters where a split or a
 * merge can go wrong, pieces long enough for the heap merge, both merges on every piece, and the
 * real web text beside the checkout where it is there.
 */
class BytePairEncoderTest {
  static final List<String> ENCODINGS =
      List.of("cl100k_base", "o200k_base", "p50k_base", "r50k_base");
  static final Map<String, Encoding> JTOKKIT = new java.util.HashMap<>();
  static final Map<String, BytePairEncoder> OURS = new java.util.HashMap<>();
  static final Map<String, BytePairEncoder> HEAP_ONLY = new java.util.HashMap<>();
  static RankTable ranks;

  /**
   * Characters of every class the split tells apart, several of a kind: ASCII letters, digits,
   * punctuation, the seven kinds of white space and both newlines, the contraction letters and
   * their long-s, letters and numbers beyond ASCII (accented, CJK, Thai, ², ½, Ⅻ), a combining mark
   * (not a letter), emoji and other astral characters (surrogate pairs), an unpaired surrogate, a
   * modifier letter and a control character.
   */
  static final String[] ALPHABET = {
    "a", "b", "e", "l", "r", "s", "t", "v", "m", "d", "L", "V", "E", "S", "T", "R", "D", "M", "x",
    "Z", "0", "1", "7", "9", "'", "'", "\"", ".", ",", "!", "?", "-", "(", ")", "<", "|", "_", "/",
    "\\", "#", "@", " ", " ", " ", " ", "\t", "\n", "\n", "\r", "\r\n", "\u000B", "\u000C",
    "\u0085", "\u00A0", "\u2003", "\u3000", "\u202F", "ſ", "é", "ß", "ü", "Ä", "ñ", "ø", "ł", "д",
    "Ж", "ω", "中", "文", "日本", "ก", "ع", "ה", "²", "½", "Ⅻ", "٣", "\u0301", "\u0300", "😀", "👍🏽",
    "𝔘", "𠀀", "\uD800", "\uDC00", "ʼ", "\u0000", "\u007F", "€", "™", "…", "—", "“", "ab", "the",
    " the", "ing", "'ll", "'VE", "'Re", "'s", "123456", "    ", "\n\n", " \n ", "ǅ", "Ǉ", "ˆ", "Σ",
    "ς", "Ω", "ᾼ", "\u20DD", "\u0903", "Hello", "HTML", "iPhone", "/", "//", "'T", "'D", "'M",
    "\u180E", "\u001C", "\u2028",
  };

  @BeforeAll
  static void load() {
    com.knuddels.jtokkit.api.EncodingRegistry registry = Encodings.newDefaultEncodingRegistry();
    for (String name : ENCODINGS) {
      JTOKKIT.put(name, registry.getEncoding(name).orElseThrow());
      OURS.put(name, Tokenizer.builtInEncoder(name, BytePairEncoder.LARGE_PIECE));
      HEAP_ONLY.put(name, Tokenizer.builtInEncoder(name, 2));
    }
    ranks = new RankTable(Tokenizer.builtInRanks("cl100k_base"));
  }

  /**
   * jtokkit's ids for the text with each unpaired surrogate replaced by U+FFFD, as Refinery's
   * encoder reads it (jtokkit refuses such a text with assertions on), by both merges.
   */
  static void assertSameAsJtokkit(String encoding, String text) {
    int[] expected = JTOKKIT.get(encoding).encodeOrdinary(wellFormed(text)).toArray();
    assertThat(OURS.get(encoding).encode(text))
        .as("%s: %s", encoding, escape(text))
        .containsExactly(expected);
    assertThat(HEAP_ONLY.get(encoding).encode(text))
        .as("%s, heap merge: %s", encoding, escape(text))
        .containsExactly(expected);
  }

  static void assertSameAsJtokkit(String text) {
    for (String encoding : ENCODINGS) {
      assertSameAsJtokkit(encoding, text);
    }
  }

  static String wellFormed(String text) {
    StringBuilder b = new StringBuilder(text.length());
    text.codePoints().forEach(c -> b.appendCodePoint(c >= 0xD800 && c <= 0xDFFF ? 0xFFFD : c));
    return b.toString();
  }

  static String escape(String text) {
    StringBuilder b = new StringBuilder();
    text.chars()
        .limit(300)
        .forEach(c -> b.append(c < 0x20 || c > 0x7E ? String.format("\\u%04X", c) : (char) c));
    return b.toString();
  }

  @Test
  void everyTokenIsFoundAndOnlyTokensAre() {
    Map<byte[], Integer> all = Tokenizer.builtInRanks("cl100k_base");
    for (Map.Entry<byte[], Integer> e : all.entrySet()) {
      assertThat(ranks.rank(e.getKey(), 0, e.getKey().length)).isEqualTo(e.getValue());
      assertThat(ranks.bytes(e.getValue())).isEqualTo(e.getKey());
    }
    // a token's bytes at an offset, and one byte more or less: another token or none
    byte[] padded = " information!".getBytes(StandardCharsets.UTF_8);
    assertThat(ranks.rank(padded, 0, 12))
        .isEqualTo(JTOKKIT.get("cl100k_base").encodeOrdinary(" information").get(0));
    assertThat(ranks.rank(padded, 1, 11))
        .isEqualTo(JTOKKIT.get("cl100k_base").encodeOrdinary("information").get(0));
    assertThat(ranks.rank(padded, 0, 13)).isEqualTo(RankTable.NONE);
    assertThat(ranks.rank(new byte[] {(byte) 0xFF, (byte) 0xFE}, 0, 2)).isEqualTo(RankTable.NONE);
  }

  /** cl100k_base on 100,000 texts, every encoding on 20,000 of them. */
  @Test
  void randomTextsOfTheHardCharacters() {
    SplittableRandom random = new SplittableRandom(20261202);
    StringBuilder text = new StringBuilder();
    for (int t = 0; t < 100_000; t++) {
      text.setLength(0);
      int parts = 1 + random.nextInt(t % 10 == 0 ? 60 : 12);
      for (int p = 0; p < parts; p++) {
        text.append(ALPHABET[random.nextInt(ALPHABET.length)]);
      }
      if (t % 5 == 0) {
        assertSameAsJtokkit(text.toString());
      } else {
        assertSameAsJtokkit("cl100k_base", text.toString());
      }
    }
  }

  @Test
  void randomTextsOfAnyCharacter() {
    SplittableRandom random = new SplittableRandom(7);
    StringBuilder text = new StringBuilder();
    for (int t = 0; t < 5_000; t++) {
      text.setLength(0);
      for (int p = random.nextInt(1, 20); p > 0; p--) {
        int c = random.nextInt(4) == 0 ? random.nextInt(0x80) : random.nextInt(0x110000);
        text.appendCodePoint(c);
      }
      assertSameAsJtokkit(text.toString());
    }
  }

  @Test
  void longPiecesAreMergedAsJtokkitMergesThem() {
    SplittableRandom random = new SplittableRandom(3);
    String[] runs = {"a", "ab", "abc", "xyz", "é", "中", "😀", " ", "\n", "!", "-=", "0"};
    for (String run : runs) {
      for (int length : new int[] {255, 256, 257, 1000, 5000}) {
        assertSameAsJtokkit(run.repeat(length / run.length()));
      }
    }
    // a long word of random letters, and one of random punctuation (base64-like and minified text)
    StringBuilder word = new StringBuilder();
    StringBuilder marks = new StringBuilder();
    String letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéß";
    String punctuation = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~";
    for (int i = 0; i < 50_000; i++) {
      word.append(letters.charAt(random.nextInt(letters.length())));
      marks.append(punctuation.charAt(random.nextInt(punctuation.length())));
    }
    assertSameAsJtokkit(word.toString());
    assertSameAsJtokkit(marks.toString());
    assertSameAsJtokkit(" " + word + "\n\n" + marks + "   ");
  }

  @Test
  void theEdgesOfAText() {
    for (String text :
        List.of(
            "",
            " ",
            "\n",
            "'",
            "''",
            "'s",
            "'ll",
            "'l",
            "a'",
            "1234",
            " 1",
            "  1",
            " \n",
            "\n ",
            "\n  x",
            "\r\n\r\n  ",
            "  \u00A0x",
            "x  ",
            "x \t",
            "\uD83D",
            "\uDE00x",
            "😀'",
            "'😀")) {
      assertSameAsJtokkit(text);
    }
  }

  /** The sample corpora beside the checkout (not on a user's clone: then this is skipped). */
  @Test
  void realWebText() throws IOException {
    Path corpora = SharedData.root().resolve("corpora");
    assumeTrue(Files.isDirectory(corpora), "no sample corpora at " + corpora.toAbsolutePath());
    ObjectMapper json = new ObjectMapper();
    long texts = 0;
    try (Stream<Path> files = Files.list(corpora)) {
      for (Path file : files.filter(f -> f.toString().matches(".*\\.jsonl(\\.gz)?")).toList()) {
        try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(
                    file.toString().endsWith(".gz")
                        ? new GZIPInputStream(Files.newInputStream(file))
                        : Files.newInputStream(file),
                    StandardCharsets.UTF_8))) {
          for (String line = in.readLine(); line != null; line = in.readLine()) {
            JsonNode text = line.isBlank() ? null : json.readTree(line).get("text");
            if (text != null && text.isTextual()) {
              assertSameAsJtokkit(text.asText());
              texts++;
            }
          }
        }
      }
    }
    assertThat(texts).isPositive();
  }
}
