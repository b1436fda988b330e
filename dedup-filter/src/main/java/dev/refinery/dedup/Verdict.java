package dev.refinery.dedup;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;

/**
 * A document that goes on, or the rejection that replaces it; or, not a verdict, a {@link Gather}
 * message that reached a task which does not gather its document, to go on to the one that does.
 * Passed between processors in memory.
 *
 * @param document the document that goes on, where it is to be encoded for the clean topic; else
 *     {@code null}
 * @param encoded the document as {@code corpus.clean.v1} takes it, where the bytes it came in are
 *     that already (this build's schema, nothing changed since): passed on rather than encoded
 *     again; else {@code null}
 * @param elsewhere the gather message to send on, when this is one; else {@code null}
 */
record Verdict(Document document, byte[] encoded, RejectedDocument rejection, byte[] elsewhere) {
  static Verdict accept(Document document) {
    return new Verdict(document, null, null, null);
  }

  /**
   * A document that goes on as the bytes it came in, which are what the clean topic takes: nothing
   * reads it decoded after this.
   */
  static Verdict accept(byte[] encoded) {
    return new Verdict(null, encoded, null, null);
  }

  static Verdict reject(RejectedDocument rejection) {
    return new Verdict(null, null, rejection, null);
  }

  /** A {@link Gather} message for the task that gathers its document. */
  static Verdict elsewhere(byte[] message) {
    return new Verdict(null, null, null, message);
  }

  boolean accepted() {
    return document != null || encoded != null;
  }

  /** The document's bytes for {@code corpus.clean.v1}: as they came, else encoded now. */
  byte[] cleanBytes() {
    return encoded != null ? encoded : Topics.CORPUS_CLEAN.serialize(document);
  }
}
