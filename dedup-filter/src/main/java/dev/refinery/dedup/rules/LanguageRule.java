package dev.refinery.dedup.rules;

import com.github.pemistahl.lingua.api.Language;
import com.github.pemistahl.lingua.api.LanguageDetector;
import com.github.pemistahl.lingua.api.LanguageDetectorBuilder;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;

/**
 * Language identification with Lingua (all 75 of its languages, low-accuracy mode, models preloaded
 * once per JVM): the ISO 639-1 code goes into the {@code language} attribute, the confidence into
 * the {@code language_confidence} signal.
 *
 * <p>Lingua's confidence values are not probabilities: the top language always has 1.0 and the
 * others the ratio of its log-likelihood to theirs. So the confidence recorded here is Lingua's own
 * measure of a reliable answer, the relative distance from the top language to the runner-up (1.0
 * when no other language is possible). On the first 300 characters of English web text (the sample
 * corpora) we measured 0.10 to 0.28; mixed-language text and word lists fall under 0.05. FineWeb's
 * 0.65 is a fastText probability and does not carry over.
 *
 * <p>With every language allowed (an empty list) the rule labels and never refuses; with a list, a
 * document whose label is allowed but whose confidence is under the threshold is refused as {@code
 * LANGUAGE_LOW_CONFIDENCE}, since it may be in a language the list leaves out.
 *
 * <p>A sample with fewer than {@value #MIN_LETTERS} letters is too little to tell ({@code und}): it
 * is labelled so, the quality rules still apply to it, and it passes unless a list of allowed
 * languages leaves {@code und} out. The detector reads the first {@code sampleChars} characters:
 * beyond a page, more text does not change the answer, only the cost.
 */
public final class LanguageRule extends Rule {
  public static final String NAME = "language";

  /** The label of a text too short to identify. */
  public static final String UNDETERMINED = "und";

  static final int MIN_LETTERS = 50;
  private static volatile LanguageDetector detector;

  private final Set<String> allowed;
  private final double minConfidence;
  private final int sampleChars;

  /**
   * @param allowed ISO 639-1 codes to keep ({@code und} for text too short to identify); empty
   *     keeps every language, labelled
   * @param minConfidence the least relative distance to the runner-up language to keep a document
   */
  public LanguageRule(Set<String> allowed, double minConfidence, int sampleChars) {
    super(NAME);
    this.allowed = Set.copyOf(allowed);
    this.minConfidence = minConfidence;
    this.sampleChars = sampleChars;
  }

  /**
   * Builds the detector now (about a second and 70 MB, once per JVM) rather than on the first
   * document.
   */
  public static LanguageDetector detector() {
    LanguageDetector d = detector;
    if (d == null) {
      synchronized (LanguageRule.class) {
        d = detector;
        if (d == null) {
          d =
              LanguageDetectorBuilder.fromAllLanguages()
                  .withLowAccuracyMode()
                  .withPreloadedLanguageModels()
                  .build();
          detector = d;
        }
      }
    }
    return d;
  }

  @Override
  public Optional<Rejection> apply(Screened doc) {
    String text = doc.text();
    String sample = text.length() <= sampleChars ? text : text.substring(0, sampleChars);
    long letters = sample.codePoints().filter(Character::isLetter).count();
    String code = UNDETERMINED;
    double confidence = 0;
    if (letters >= MIN_LETTERS) {
      SortedMap<Language, Double> values = detector().computeLanguageConfidenceValues(sample);
      Iterator<Map.Entry<Language, Double>> ranked = values.entrySet().iterator();
      if (ranked.hasNext()) {
        code = ranked.next().getKey().getIsoCode639_1().toString().toLowerCase(Locale.ROOT);
        confidence = ranked.hasNext() ? 1 - ranked.next().getValue() : 1.0;
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
}
