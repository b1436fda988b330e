package dev.refinery.schemas;

/** How a licence reads in one line, in summaries and reports. */
public final class Licences {
  private Licences() {}

  /** The SPDX id; else {@code (licensor: terms)}. */
  public static String label(Licence licence) {
    if (licence.getSpdxId() != null) {
      return licence.getSpdxId();
    }
    return "("
        + (licence.getLicensor() == null ? "" : licence.getLicensor() + ": ")
        + licence.getTerms()
        + ")";
  }
}
