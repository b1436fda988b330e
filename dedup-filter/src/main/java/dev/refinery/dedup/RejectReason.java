package dev.refinery.dedup;

/**
 * Why dedup-filter refused a document; the {@code reason} of its {@code corpus.rejected.v1} record.
 */
public enum RejectReason {
  /** The record on corpus.raw.v1 is not a Document this build can decode. */
  UNDECODABLE,
  /** Fewer words than {@code dedup.min.words}. */
  TOO_SHORT,
  /** Same normalized text as an earlier document ({@code dup_of}). */
  EXACT_DUPLICATE
}
