package dev.refinery.dedup.rules;

/** Character classes the rules share, as datatrove defines them. */
final class Words {
  /**
   * Whether the word from {@code from} to {@code to} of the text is punctuation and symbols only: a
   * symbol, not a word.
   */
  static boolean isSymbol(String text, int from, int to) {
    for (int i = from; i < to; i++) {
      int type = Character.getType(text.charAt(i));
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

  /** Whether the word from {@code from} to {@code to} of the text has a letter. */
  static boolean hasLetter(String text, int from, int to) {
    for (int i = from; i < to; i++) {
      if (Character.isLetter(text.charAt(i))) {
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
