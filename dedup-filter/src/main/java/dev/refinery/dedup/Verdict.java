package dev.refinery.dedup;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;

/**
 * A document that goes on, or the rejection that replaces it. Passed between processors in memory.
 */
record Verdict(Document document, RejectedDocument rejection) {
  static Verdict accept(Document document) {
    return new Verdict(document, null);
  }

  static Verdict reject(RejectedDocument rejection) {
    return new Verdict(null, rejection);
  }

  boolean accepted() {
    return document != null;
  }
}
