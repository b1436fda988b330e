package dev.refinery.ingest;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.Image;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.util.List;

/** What one input record became: a document, a rejection, or nothing (it was not a document). */
sealed interface Parsed permits Parsed.Accepted, Parsed.Encoded, Parsed.Rejected, Parsed.Skipped {
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
      encode(sent).send(out);
    }

    /**
     * This document's records, encoded: what a batch keeps until it is written. Its images are
     * those not yet {@code sent} (by SHA-256, added to it): each image's bytes once a batch.
     */
    Encoded encode(java.util.Set<String> sent) {
      return new Encoded(
          document.getId(),
          images.stream()
              .filter(i -> sent.add(i.getSha256()))
              .map(i -> Message.of(Topics.CORPUS_IMAGES, i.getSha256(), i))
              .toList(),
          refusedImages.stream()
              .map(r -> Message.of(Topics.CORPUS_REJECTED, r.getDocId(), r))
              .toList(),
          Message.of(Topics.CORPUS_RAW, document.getId(), document));
    }
  }

  /**
   * An accepted document as its records, encoded, as a pushed batch holds it until the batch is
   * written: the document's text is then held once, in its record, not also as a string beside it.
   */
  record Encoded(String docId, List<Message> images, List<Message> refusals, Message document)
      implements Parsed {
    /** Sends its images, the refusals of its bad images, then the document. */
    void send(Out out) {
      images.forEach(i -> i.sendTo(out));
      refusals.forEach(r -> r.sendTo(out));
      document.sendTo(out);
    }
  }

  /** One record for a topic. */
  record Message(String topic, String key, byte[] value) {
    static <V> Message of(dev.refinery.schemas.TopicBinding<String, V> topic, String key, V value) {
      return new Message(topic.name(), key, topic.serialize(value));
    }

    void sendTo(Out out) {
      out.send(topic, key, value);
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
