package dev.refinery.ingest;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;

/** What one input record became: a document, a rejection, or nothing (it was not a document). */
sealed interface Parsed permits Parsed.Accepted, Parsed.Rejected, Parsed.Skipped {
  /** A document for corpus.raw.v1. */
  record Accepted(Document document) implements Parsed {}

  /** A refusal for corpus.rejected.v1, with its reason. */
  record Rejected(RejectedDocument rejection) implements Parsed {}

  /** A record that holds no document, such as a WARC request or an image response; only counted. */
  record Skipped(String what) implements Parsed {}
}
