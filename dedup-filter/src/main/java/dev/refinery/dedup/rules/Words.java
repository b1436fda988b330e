package dev.refinery.dedup.rules;

/** Character classes the rules share, as datatrove defines them. */
final class Words {
  /** Punctuation and symbols: a word made only of these is a symbol, not a word. */
  static boolean isSymbol(String word) {
    for (int i = 0; i < word.length(); i++) {
      int type = Character.getType(word.charAt(i));
      boolean punctuation =
          type == Character.CONNECTOR_PUNCTUATION
              || type == Character.DASH_PUNCTUATION
              || type == Character.START_PUNCTUATION
              || type == Character.END_PUNCTUATION
              || type == Character.INITIAL_QUOTE_PUNCTUATION
              || type == Character.FINAL_QUOTE_PUNCTUATION
              || type == Character.OTHER_PUNCTUATION
              || type == Character.MATH_SYMBOL
              || type == Character.CURRENCY_SYMBOL
              || type == Character.MODIFIER_SYMBOL
              || type == Character.OTHER_SYMBOL;
      if (!punctuation) {
        return false;
      }
    }
    return true;
  }

  static boolean hasLetter(String word) {
    for (int i = 0; i < word.length(); i++) {
      if (Character.isLetter(word.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /** Terminal punctuation that ends a sentence or a line (C4 and FineWeb). */
  static final String TERMINAL = ".!?\"'”’。！？…)]";

  /** Whether the line, without its trailing white space, ends in {@link #TERMINAL}. */
  static boolean endsWithTerminal(String line) {
    int end = line.length();
    while (end > 0) {
      int cp = line.codePointBefore(end);
      if (!Character.isWhitespace(cp)) {
        return TERMINAL.indexOf(line.charAt(end - 1)) >= 0;
      }
      end -= Character.charCount(cp);
    }
    return false;
  }

  private Words() {}
}
