package dev.refinery.ingest;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.Image;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.util.List;

/** What one input record became: a document, a rejection, or nothing (it was not a document). */
sealed interface Parsed permits Parsed.Accepted, Parsed.Rejected, Parsed.Skipped {
  /**
   * A document for corpus.raw.v1, with the bytes of the images it references (for corpus.images.v1)
   * and the refusals of those of its images that were not valid.
   */
  record Accepted(Document document, List<Image> images, List<RejectedDocument> refusedImages)
      implements Parsed {
    Accepted(Document document) {
      this(document, List.of(), List.of());
    }

    /**
     * Sends the records of this document: its images not yet {@code sent} (by SHA-256, added to
     * it), the refusals of its bad images, then the document.
     */
    void send(Out out, java.util.Set<String> sent) {
      for (Image image : images) {
        if (sent.add(image.getSha256())) {
          out.send(
              Topics.CORPUS_IMAGES.name(),
              image.getSha256(),
              Topics.CORPUS_IMAGES.serialize(image));
        }
      }
      for (RejectedDocument refusal : refusedImages) {
        out.send(
            Topics.CORPUS_REJECTED.name(),
            refusal.getDocId(),
            Topics.CORPUS_REJECTED.serialize(refusal));
      }
      out.send(Topics.CORPUS_RAW.name(), document.getId(), Topics.CORPUS_RAW.serialize(document));
    }
  }

  /** Where records go: a transaction's producer. */
  interface Out {
    void send(String topic, String key, byte[] value);
  }

  /** A refusal for corpus.rejected.v1, with its reason. */
  record Rejected(RejectedDocument rejection) implements Parsed {}

  /** A record that holds no document, such as a WARC request or an image response; only counted. */
  record Skipped(String what) implements Parsed {}
}
