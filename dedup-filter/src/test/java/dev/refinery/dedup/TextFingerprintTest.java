package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextFingerprintTest {

  @Test
  void normalizesCaseWhiteSpaceAndUnicodeComposition() {
    assertThat(TextFingerprint.normalize("  Hello,\t\tWORLD \n\u00A0again "))
        .isEqualTo("hello, world again");
    // e + combining acute (NFD) is é (NFC); the full-width Ａ is A under NFKC
    assertThat(TextFingerprint.of("Cafe\u0301 \uFF21")).isEqualTo(TextFingerprint.of("café a"));
  }

  @Test
  void differentTextDifferentFingerprint() {
    assertThat(TextFingerprint.of("Today is Sunday and it's a happy day!"))
        .isNotEqualTo(TextFingerprint.of("Today is sunday and it's really a happy day!"))
        .hasSize(32);
  }

  @Test
  void asciiTextSkipsNfkcAndNormalizesAsWithIt() {
    java.util.Random random = new java.util.Random(5);
    for (int round = 0; round < 5_000; round++) {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(40); i > 0; i--) {
        text.append((char) random.nextInt(0x80));
      }
      String t = text.toString();
      assertThat(TextFingerprint.normalize(t)).as("[%s]", t).isEqualTo(withNfkc(t));
    }
  }

  /**
   * ASCII, white space of every kind, curly quotes, letters with case, Σ and İ (lower-cased by
   * context or into two chars), compatibility forms NFKC changes, surrogate pairs and lone ones.
   */
  private static final String ALPHABET =
      "aZ \t\n\r\u000B\u001C\u00A0\u2028\u3000\u201C\u201D\u00C9\u00E9\u0130\u03A3\u03C3"
          + "\u0301\uFF21\uFB01\u2460\u1E9E\u0410\uD83D\uDE00\uD801\uDC00\uDC00\uD800x.";

  @Test
  void fingerprintIsTheHashOfTheNormalizedTextsBytes() {
    java.util.Random random = new java.util.Random(17);
    for (int round = 0; round < 20_000; round++) {
      String t = randomText(random, random.nextInt(30));
      assertThat(TextFingerprint.of(t)).as("[%s]", t).isEqualTo(hashOfNormalized(t));
    }
  }

  @Test
  void longTextsAreHashedAcrossBufferBoundariesAsAWhole() {
    java.util.Random random = new java.util.Random(23);
    for (int round = 0; round < 300; round++) {
      String t = randomText(random, random.nextInt(4 * TextFingerprint.CHUNK));
      assertThat(TextFingerprint.of(t)).as("round %d", round).isEqualTo(hashOfNormalized(t));
    }
    // white space, a two-byte, a three-byte character and a surrogate pair at every position
    // around where the buffer is first full, with and without a character that sends the text
    // through String.toLowerCase
    for (String tail : new String[] {"", " \u03A3"}) {
      for (int k = TextFingerprint.CHUNK - 12; k <= TextFingerprint.CHUNK + 4; k++) {
        for (String at : new String[] {" \t ", "\u00E9", "\u3000\u2460", "\uD83D\uDE00"}) {
          String t = "  " + "Ab".repeat(k / 2) + "a".repeat(k % 2) + at + "Zz  z" + tail + " ";
          assertThat(TextFingerprint.of(t)).as("k %d", k).isEqualTo(hashOfNormalized(t));
        }
      }
    }
  }

  /**
   * The text is read in pieces whose ends fall where the buffer's room says: a surrogate pair,
   * white space and a multi-byte character at every position over the first pieces, after ASCII and
   * after text that writes more bytes a char.
   */
  @Test
  void aSurrogatePairOrWhiteSpaceWhereAPieceEndsIsReadAsAnywhere() {
    for (String unit : new String[] {"a", "B ", "\u00E9", "\u3000x", "\u4E2D"}) {
      for (int k = 0; k <= 700; k++) {
        String head = unit.repeat(k / unit.length() + 1).substring(0, k);
        for (String at : new String[] {"\uD83D\uDE00", " \t", "\u00E9", "\uD83D", "\u2460"}) {
          String t = head + at + "Zz " + "\uD83D\uDE00".repeat(3) + " end";
          assertThat(TextFingerprint.of(t)).as("%s k %d", unit, k).isEqualTo(hashOfNormalized(t));
        }
      }
    }
  }

  /**
   * Ids and texts whose join could go wrong: empty, white space only, and what could read across it
   * (combining marks, Σ, İ, halves of surrogate pairs).
   */
  private static final String[][] JOINS = {
    {"0123456789abcdef0123456789abcdef", "Some text."},
    {"", "Text"},
    {"id", ""},
    {"", ""},
    {" ", " "},
    {"id", " \t "},
    {" \u3000", " A b "},
    {"A\u03A3", "\u0301b"},
    {"\uD83D", "\uDE00"},
    {"x\u0130", "\u03A3 x"},
    {"id", "Ab\uD83D\uDE00"},
  };

  /**
   * The replay key's fingerprint of an id and a text is that of the two joined by a new line, as
   * every build before wrote it: stores keep it, so a replay of a document stored then is still
   * known. The random parts begin and end with what could read across the join: combining marks, Σ,
   * İ, halves of surrogate pairs, white space, empty parts.
   */
  @Test
  void anIdAndATextHaveTheFingerprintOfTheTwoJoinedByANewLine() {
    java.util.Random random = new java.util.Random(29);
    for (int round = 0; round < 20_000; round++) {
      String id = randomText(random, random.nextInt(6));
      String text = randomText(random, random.nextInt(round % 100 == 0 ? 3000 : 30));
      assertThat(TextFingerprint.of(id, text))
          .as("[%s] [%s]", id, text)
          .isEqualTo(TextFingerprint.of(id + "\n" + text));
    }
    for (String[] p : JOINS) {
      assertThat(TextFingerprint.of(p[0], p[1])).isEqualTo(TextFingerprint.of(p[0] + "\n" + p[1]));
    }
  }

  /**
   * A text's fingerprint and its replay key's, made in one pass over the text, are each what its
   * own pass makes: ids and texts empty, of white space only, beginning or ending with what reads
   * across the join, long enough to fill the buffer many times, and with the characters that send a
   * text through {@link String#toLowerCase} (Σ, İ, surrogate pairs) in the id, the text or neither.
   */
  @Test
  void aTextAndItsReplayKeyInOnePassAreTheFingerprintsOfTheirOwnPasses() {
    java.util.Random random = new java.util.Random(31);
    for (int round = 0; round < 20_000; round++) {
      String id =
          round % 3 == 0
              ? java.util.UUID.nameUUIDFromBytes(new byte[] {(byte) round}).toString()
              : randomText(random, random.nextInt(6));
      int length = random.nextInt(round % 50 == 0 ? 5 * TextFingerprint.CHUNK : 40);
      String text = round % 2 == 0 ? randomText(random, length) : randomAscii(random, length);
      TextFingerprint.TextAndReplay both = TextFingerprint.ofTextAndReplay(id, text);
      assertThat(both.text()).as("[%s] [%s]", id, text).isEqualTo(TextFingerprint.of(text));
      assertThat(both.replay())
          .as("[%s] [%s]", id, text)
          .isEqualTo(TextFingerprint.of(id, text))
          .isEqualTo(TextFingerprint.of(id + "\n" + text));
    }
    for (String[] p : JOINS) {
      TextFingerprint.TextAndReplay both = TextFingerprint.ofTextAndReplay(p[0], p[1]);
      assertThat(both.text()).isEqualTo(TextFingerprint.of(p[1]));
      assertThat(both.replay()).isEqualTo(TextFingerprint.of(p[0] + "\n" + p[1]));
    }
  }

  /** Printable ASCII and white space: web text, which takes the one pass through to its end. */
  private static String randomAscii(java.util.Random random, int length) {
    StringBuilder text = new StringBuilder(length);
    for (int i = length; i > 0; i--) {
      int r = random.nextInt(8);
      text.append(r == 0 ? ' ' : r == 1 ? '\n' : (char) (0x21 + random.nextInt(0x5E)));
    }
    return text.toString();
  }

  private static String randomText(java.util.Random random, int length) {
    StringBuilder text = new StringBuilder(length);
    for (int i = length; i > 0; i--) {
      text.append(
          random.nextInt(4) == 0
              ? (char) random.nextInt(0x3000)
              : ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return text.toString();
  }

  /** What {@link TextFingerprint#of} must be: the hash of {@link TextFingerprint#normalize}. */
  private static String hashOfNormalized(String text) {
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(
                  TextFingerprint.normalize(text)
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** The normalization as it was before ASCII text skipped NFKC. */
  private static String withNfkc(String text) {
    String nfkc =
        java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFKC)
            .toLowerCase(java.util.Locale.ROOT);
    StringBuilder out = new StringBuilder();
    boolean space = false;
    for (char c : nfkc.toCharArray()) {
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        space = out.length() > 0;
      } else {
        if (space) {
          out.append(' ');
          space = false;
        }
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * What lets the screen take a page C4 cleaned only of white space for the page as it came ({@code
   * Screened.normalizesAsCreated}): between any two characters, white space of any kind and length
   * normalizes as one new line, and at the text's ends as none. Every character of the Basic
   * Multilingual Plane, with every character the normalization takes for white space.
   */
  @Test
  void anyWhiteSpaceBetweenOrAroundCharactersNormalizesAsOneNewLineOrNone() {
    java.util.List<String> spaces = new java.util.ArrayList<>();
    for (char w = 0; w < 0xFFFF; w++) {
      if (Character.isWhitespace(w) || Character.isSpaceChar(w)) {
        spaces.add(String.valueOf(w));
      }
    }
    assertThat(spaces).hasSizeGreaterThan(20);
    for (char c = 0; c < 0xFFFF; c++) {
      if (Character.isSurrogate(c) || spaces.contains(String.valueOf(c))) {
        continue;
      }
      String x = String.valueOf(c);
      String joined = TextFingerprint.normalize(x + "\n" + x);
      String alone = TextFingerprint.normalize(x);
      for (String w : spaces) {
        assertThat(TextFingerprint.normalize(x + w + x))
            .as("U+%04X %s", (int) c, w)
            .isEqualTo(joined);
        assertThat(TextFingerprint.normalize(x + w + "\n" + w + x))
            .as("U+%04X %s", (int) c, w)
            .isEqualTo(joined);
        assertThat(TextFingerprint.normalize(w + x + w))
            .as("U+%04X %s", (int) c, w)
            .isEqualTo(alone);
      }
    }
  }
}
