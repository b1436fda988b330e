package dev.refinery.dedup.rules;

/**
 * Why a rule refused a document.
 *
 * @param rule the rule, e.g. {@code gopher_quality}
 * @param reason the check that failed, e.g. {@code GOPHER_SHORT_DOC}
 * @param detail a sentence a person can act on
 * @param measured what the check measured, or {@code null}
 * @param threshold the bound it failed, or {@code null}
 */
public record Rejection(
    String rule, String reason, String detail, Double measured, Double threshold) {

  /** A threshold check that failed: "{what} {measured} {relation} {threshold}". */
  static Rejection of(
      String rule, String reason, String what, double measured, String relation, double threshold) {
    return new Rejection(
        rule,
        reason,
        what + " " + format(measured) + " " + relation + " " + format(threshold),
        measured,
        threshold);
  }

  private static String format(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15
        ? Long.toString((long) value)
        : String.format(java.util.Locale.ROOT, "%.4f", value);
  }
}
