package dev.refinery.dedup.rules;

import java.util.Collections;
import java.util.Optional;

/** Small builders for the rule tests. */
final class Texts {
  private Texts() {}

  /** {@code n} copies of {@code word}, space-separated. */
  static String repeat(String word, int n) {
    return String.join(" ", Collections.nCopies(n, word));
  }

  /** {@code n} distinct lower-case letter words of {@code length} letters (aaaa, aaab, ...). */
  static String distinct(int n, int length) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < n; i++) {
      char[] w = new char[length];
      int x = i;
      for (int k = length - 1; k >= 0; k--) {
        w[k] = (char) ('a' + x % 26);
        x /= 26;
      }
      out.append(i == 0 ? "" : " ").append(w);
    }
    return out.toString();
  }

  static Optional<Rejection> apply(Rule rule, String text) {
    return rule.apply(new Screened(text, null, "test"));
  }

  static Screened screened(String text) {
    return new Screened(text, null, "test");
  }
}
