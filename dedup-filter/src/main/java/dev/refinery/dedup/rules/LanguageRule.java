package dev.refinery.dedup.rules;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Language identification with {@link LanguageIdentifier} (Lingua's 75 languages and models, scored
 * as a naive Bayes classifier with a calibrated probability): the ISO 639-1 code goes into the
 * {@code language} attribute, the probability of that label into the {@code language_confidence}
 * signal. The probability is calibrated on held-out UDHR translations (expected calibration error
 * 0.03), so a threshold means what it says: FineWeb's 0.65 keeps labels that are right about 96 %
 * of the time ({@code bench/run langid}).
 *
 * <p>With every language allowed (an empty list) the rule labels and never refuses; with a list, a
 * document whose label is allowed but whose probability is under the threshold is refused as {@code
 * LANGUAGE_LOW_CONFIDENCE}, since it may be in a language the list leaves out.
 *
 * <p>A sample with fewer than {@value #MIN_LETTERS} letters is too little to tell ({@code und}): it
 * is labelled so, the quality rules still apply to it, and it passes unless a list of allowed
 * languages leaves {@code und} out. The identifier reads the first {@code sampleChars} characters:
 * beyond a page, more text does not change the answer, only the cost.
 */
public final class LanguageRule extends Rule {
  public static final String NAME = "language";

  /** The label of a text too short to identify. */
  public static final String UNDETERMINED = "und";

  static final int MIN_LETTERS = 50;
  private final Set<String> allowed;
  private final double minConfidence;
  private final int sampleChars;

  /**
   * @param allowed ISO 639-1 codes to keep ({@code und} for text too short to identify); empty
   *     keeps every language, labelled
   * @param minConfidence the least probability of its label to keep a document
   */
  public LanguageRule(Set<String> allowed, double minConfidence, int sampleChars) {
    super(NAME);
    this.allowed = Set.copyOf(allowed);
    this.minConfidence = minConfidence;
    this.sampleChars = sampleChars;
  }

  /** Loads the identifier's models now (about a second, once per JVM) rather than on a document. */
  public static LanguageIdentifier identifier() {
    return LanguageIdentifier.shared();
  }

  @Override
  public Optional<Rejection> apply(Screened doc) {
    String text = doc.text();
    String sample = text.length() <= sampleChars ? text : text.substring(0, sampleChars);
    int letters = letters(sample);
    String code = UNDETERMINED;
    double confidence = 0;
    if (letters >= MIN_LETTERS) {
      LanguageIdentifier.Guess guess = identifier().identify(sample);
      if (guess != null) {
        code = guess.code();
        confidence = guess.probability();
      }
    }
    doc.language(code);
    doc.attributes().put("language", code);
    doc.signal("language_confidence", confidence);
    if (!allowed.isEmpty() && !allowed.contains(code)) {
      String why =
          code.equals(UNDETERMINED)
              ? "too little text to identify (" + letters + " letters, " + MIN_LETTERS + " needed)"
              : "language "
                  + code
                  + " (confidence "
                  + String.format(Locale.ROOT, "%.2f", confidence)
                  + ")";
      return Optional.of(
          new Rejection(
              NAME, "LANGUAGE_NOT_ALLOWED", why + " is not one of " + allowed, confidence, null));
    }
    // an unsure label matters only where some languages are refused: with every language allowed
    // the document is labelled and kept, whatever the confidence
    if (!allowed.isEmpty() && !code.equals(UNDETERMINED) && confidence < minConfidence) {
      return Optional.of(
          Rejection.of(
              NAME,
              "LANGUAGE_LOW_CONFIDENCE",
              "confidence of " + code,
              confidence,
              "<",
              minConfidence));
    }
    return Optional.empty();
  }

  /** The letters among the text's code points. */
  static int letters(String text) {
    int n = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (Character.isLetter(cp)) {
        n++;
      }
      i += Character.charCount(cp);
    }
    return n;
  }
}
