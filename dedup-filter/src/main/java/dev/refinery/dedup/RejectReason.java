package dev.refinery.dedup;

/**
 * Reasons of dedup-filter's own making; the rules' reasons ({@code GOPHER_SHORT_DOC} and so on)
 * come with their rules.
 */
public enum RejectReason {
  /** The record on corpus.raw.v1 is not a Document this build can decode. */
  UNDECODABLE,
  /** A takedown on corpus.takedowns.v1 covers the document. */
  TAKEDOWN,
  /** Same normalized text as a smaller document ({@code dup_of}). */
  EXACT_DUPLICATE,
  /** Same normalized URL as a smaller document. */
  URL_DUPLICATE,
  /** Shares a MinHash band with a smaller document. */
  NEAR_DUPLICATE,
  /** An image with the same bytes (SHA-256) as an image of a smaller document. */
  IMAGE_EXACT_DUPLICATE,
  /** An image within the perceptual-hash distance of an image of a smaller document. */
  IMAGE_NEAR_DUPLICATE,
  /** An image under the minimum side, in pixels. */
  IMAGE_TOO_SMALL,
  /** An image whose longer side over its shorter is beyond the maximum. */
  IMAGE_ASPECT_RATIO
}
