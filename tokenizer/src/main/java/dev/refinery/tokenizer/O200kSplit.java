package dev.refinery.tokenizer;

/**
 * Where the pieces of a text end under tiktoken's pattern for {@code o200k_base} (GPT-4o's),
 *
 * <pre>{@code
 * [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 * |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 * |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * }</pre>
 *
 * as Java's regex engine matches it (the pattern jtokkit runs, with Unicode character classes),
 * written out as a scan: the regex took most of this encoding's time. Where the pattern backtracks,
 * the scan takes the match the engine's order of trial gives: the first alternative, with its
 * optional prefix before without it, a greedy run before a shorter one. {@code BytePairEncoderTest}
 * compares the two on random texts of the characters where they differ.
 */
final class O200kSplit {
  private O200kSplit() {}

  private static final int UPPER = 1; // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
  private static final int LOWER = 2; // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
  private static final int LETTER = 4; // \p{L}
  private static final int NUMBER = 8; // \p{N}
  private static final int SPACE = 16; // \s: Unicode White_Space
  private static final int NEWLINE = 32; // \r \n
  private static final byte[] ASCII = new byte[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII[c] = (byte) classOf(c, Character.getType(c));
    }
  }

  private static int classOf(int c) {
    if (c < 0) {
      return 0;
    }
    return c < 128 ? ASCII[c] : classOf(c, Character.getType(c));
  }

  private static int classOf(int c, int type) {
    switch (type) {
      case Character.UPPERCASE_LETTER, Character.TITLECASE_LETTER:
        return UPPER | LETTER;
      case Character.LOWERCASE_LETTER:
        return LOWER | LETTER;
      case Character.MODIFIER_LETTER, Character.OTHER_LETTER:
        return UPPER | LOWER | LETTER;
      case Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK:
        return UPPER | LOWER;
      case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER:
        return NUMBER;
      case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR:
        return SPACE;
      default:
        if (c == '\r' || c == '\n') {
          return SPACE | NEWLINE;
        }
        return (c >= 0x9 && c <= 0xD) || c == 0x85 ? SPACE : 0;
    }
  }

  private static boolean is(int c, int classes) {
    return (classOf(c) & classes) != 0;
  }

  /** {@code [^\r\n\p{L}\p{N}]}: the optional character before a word. */
  private static boolean isPrefix(int c) {
    return c >= 0 && (classOf(c) & (NEWLINE | LETTER | NUMBER)) == 0;
  }

  /** {@code [^\s\p{L}\p{N}]}. */
  private static boolean isPunctuation(int c) {
    return c >= 0 && (classOf(c) & (SPACE | LETTER | NUMBER)) == 0;
  }

  /** Where the piece that begins at {@code start} ends. */
  static int pieceEnd(String s, int start) {
    int n = s.length();
    int c0 = s.codePointAt(start);
    int next = start + Character.charCount(c0);
    boolean prefix = isPrefix(c0) && next < n;
    int end;
    // 1. (prefix) upper* lower+ contraction?, with the prefix first, then without it
    if (prefix && (end = upperThenLower(s, next)) >= 0) {
      return end;
    }
    if ((end = upperThenLower(s, start)) >= 0) {
      return end;
    }
    // 2. (prefix) upper+ lower* contraction?
    if (prefix && (end = upperRun(s, next)) >= 0) {
      return end;
    }
    if ((end = upperRun(s, start)) >= 0) {
      return end;
    }
    int class0 = classOf(c0);
    if ((class0 & NUMBER) != 0) {
      // 3. one to three numbers
      end = next;
      for (int i = 1, c; i < 3 && end < n && is(c = s.codePointAt(end), NUMBER); i++) {
        end += Character.charCount(c);
      }
      return end;
    }
    int c1 = Cl100kSplit.codePointAt(s, next);
    if (isPunctuation(c0) || (c0 == ' ' && isPunctuation(c1))) {
      // 4. punctuation, after one space, and the newlines (and slashes) after it
      end = next;
      for (int c; end < n && isPunctuation(c = s.codePointAt(end)); ) {
        end += Character.charCount(c);
      }
      while (end < n && (s.charAt(end) == '\r' || s.charAt(end) == '\n' || s.charAt(end) == '/')) {
        end++;
      }
      return end;
    }
    // 5-7. white space, as in cl100k_base
    return Cl100kSplit.whiteSpaceEnd(s, start);
  }

  /**
   * {@code upper* lower+ contraction?} from {@code from}: the greedy run of upper, given back to
   * the last character that can begin the lower run. -1 where there is none.
   */
  private static int upperThenLower(String s, int from) {
    int n = s.length();
    int i = from;
    int lastLower = -1;
    for (int c; i < n && is(c = s.codePointAt(i), UPPER); i += Character.charCount(c)) {
      if (is(c, LOWER)) {
        lastLower = i;
      }
    }
    int lower = i < n && is(s.codePointAt(i), LOWER) ? i : lastLower;
    if (lower < 0) {
      return -1;
    }
    int end = lower;
    for (int c; end < n && is(c = s.codePointAt(end), LOWER); ) {
      end += Character.charCount(c);
    }
    return contraction(s, end);
  }

  /**
   * {@code upper+ lower* contraction?} from {@code from}; -1 where it does not begin with upper.
   */
  private static int upperRun(String s, int from) {
    int n = s.length();
    if (from >= n || !is(s.codePointAt(from), UPPER)) {
      return -1;
    }
    int end = from;
    for (int c; end < n && is(c = s.codePointAt(end), UPPER); ) {
      end += Character.charCount(c);
    }
    for (int c; end < n && is(c = s.codePointAt(end), LOWER); ) {
      end += Character.charCount(c);
    }
    return contraction(s, end);
  }

  /** {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)?} at {@code at}: where it ends. */
  private static int contraction(String s, int at) {
    int n = s.length();
    if (at + 1 >= n || s.charAt(at) != '\'') {
      return at;
    }
    char c1 = s.charAt(at + 1);
    if (same(c1, 's') || same(c1, 't') || same(c1, 'm') || same(c1, 'd')) {
      return at + 2;
    }
    if (at + 2 < n) {
      char c2 = s.charAt(at + 2);
      if ((same(c1, 'r') && same(c2, 'e'))
          || (same(c1, 'v') && same(c2, 'e'))
          || (same(c1, 'l') && same(c2, 'l'))) {
        return at + 3;
      }
    }
    return at;
  }

  /** A character matching a lower-case ASCII letter case-insensitively, as Java's regex does. */
  private static boolean same(char c, char lower) {
    return c == lower
        || Character.toUpperCase(c) == Character.toUpperCase(lower)
        || Character.toLowerCase(c) == lower;
  }
}
