package dev.refinery.tokenizer;

import java.util.Arrays;

/**
 * Where the pieces of a text end under tiktoken's pattern for {@code cl100k_base},
 *
 * <pre>{@code
 * '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*
 *   |\s*[\r\n]|\s+(?!\S)|\s+
 * }</pre>
 *
 * written out as a scan with the rules and character classes of jtokkit's {@code Cl100kParser}
 * (jtokkit: MIT License, Copyright (c) 2023 Knuddels, Philip Müller), so that the two split every
 * text alike. Letters and numbers are told apart by the JDK's Unicode tables, as in jtokkit.
 */
final class Cl100kSplit {
  private Cl100kSplit() {}

  private static final int LETTER = 1;
  private static final int NUMBER = 2;
  private static final int SPACE = 4; // white space
  private static final int NEWLINE = 8; // \r and \n, also SPACE
  private static final byte[] ASCII = new byte[128];
  private static final int[] OTHER_SPACES = {
    0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
    0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000
  };

  static {
    for (int c = 'a'; c <= 'z'; c++) {
      ASCII[c] = LETTER;
      ASCII[c - 'a' + 'A'] = LETTER;
    }
    for (int c = '0'; c <= '9'; c++) {
      ASCII[c] = NUMBER;
    }
    for (char c : " \t\u000B\u000C".toCharArray()) {
      ASCII[c] = SPACE;
    }
    ASCII['\r'] = SPACE | NEWLINE;
    ASCII['\n'] = SPACE | NEWLINE;
  }

  private static int classOf(int c) {
    if (c < 128) {
      return c < 0 ? 0 : ASCII[c];
    }
    switch (Character.getType(c)) {
      case Character.UPPERCASE_LETTER,
      Character.LOWERCASE_LETTER,
      Character.TITLECASE_LETTER,
      Character.MODIFIER_LETTER,
      Character.OTHER_LETTER:
        return c <= 0x323AF ? LETTER : 0;
      case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER:
        return c <= 0x1FBF9 ? NUMBER : 0;
      default:
        return Arrays.binarySearch(OTHER_SPACES, c) >= 0 ? SPACE : 0;
    }
  }

  private static boolean is(int c, int classes) {
    return (classOf(c) & classes) != 0;
  }

  /** Neither white space, letter nor number; not a character (-1, past the end) either. */
  private static boolean isPunctuation(int c) {
    return c >= 0 && classOf(c) == 0;
  }

  /** The code point at {@code i}, or -1 past the end. */
  static int codePointAt(String s, int i) {
    return i < s.length() ? s.codePointAt(i) : -1;
  }

  /** Where the piece that begins at {@code start} ends. */
  static int pieceEnd(String s, int start) {
    int n = s.length();
    int c0 = s.codePointAt(start);
    int next = start + Character.charCount(c0);
    int c1 = codePointAt(s, next);
    if (c0 == '\'' && c1 >= 0) {
      // 1. the contractions 's 'd 't 'm 'll 've 're, in any case
      if ("sdtmSDTMſ".indexOf(c1) >= 0) {
        return next + Character.charCount(c1);
      }
      if (next + 1 < n && isLongContraction(c1, s.codePointAt(next + 1))) {
        return next + 2;
      }
    }
    int class0 = classOf(c0);
    if ((class0 & LETTER) != 0
        || ((class0 & NEWLINE) == 0 && (class0 & NUMBER) == 0 && is(c1, LETTER))) {
      // 2. a word, after one character that is not a newline, letter or number: " of", "It", "(the"
      int end = next;
      while (end < n && is(c1 = s.codePointAt(end), LETTER)) {
        end += Character.charCount(c1);
      }
      return end;
    }
    if ((class0 & NUMBER) != 0) {
      // 3. one to three numbers: "4", "235", "3½"
      int end = next;
      for (int i = 1; i < 3 && end < n && is(c1 = s.codePointAt(end), NUMBER); i++) {
        end += Character.charCount(c1);
      }
      return end;
    }
    if (isPunctuation(c0) || (c0 == ' ' && isPunctuation(c1))) {
      // 4. punctuation, after one space, and the newlines after it: ",", " .", "\"", ");\n"
      int end = next;
      while (end < n && isPunctuation(c1 = s.codePointAt(end))) {
        end += Character.charCount(c1);
      }
      while (end < n && (s.charAt(end) == '\r' || s.charAt(end) == '\n')) {
        end++;
      }
      return end;
    }
    return whiteSpaceEnd(s, start);
  }

  /**
   * The white-space rules both GPT-4 patterns end with: {@code \s*[\r\n]+} (up to the last
   * newline), {@code \s+(?!\S)} (all but the last character where something else follows, which
   * takes it: " word") and {@code \s+}; from {@code start}, where white space begins.
   */
  static int whiteSpaceEnd(String s, int start) {
    int n = s.length();
    int c0 = s.codePointAt(start);
    int next = start + Character.charCount(c0);
    int lastNewline = c0 == '\r' || c0 == '\n' ? start : -1;
    int end = next;
    int last = c0; // the last character read
    while (end < n && is(last = s.codePointAt(end), SPACE)) {
      if (last == '\r' || last == '\n') {
        lastNewline = end;
      }
      end += Character.charCount(last);
    }
    if (lastNewline >= 0) {
      return lastNewline + 1;
    }
    if (end > next && !is(last, SPACE)) {
      return end - 1; // white space is one char
    }
    return end;
  }

  private static boolean isLongContraction(int c1, int c2) {
    int a = Character.toUpperCase(c1);
    int b = Character.toUpperCase(c2);
    return (a == 'L' && b == 'L') || (a == 'V' && b == 'E') || (a == 'R' && b == 'E');
  }
}
