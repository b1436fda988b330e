package dev.refinery.tokenizer;

/**
 * Why the tokenizer refused a record; the {@code reason} of its {@code corpus.rejected.v1} record.
 */
public enum RejectReason {
  /** The record on corpus.clean.v1 is not a Document this build can decode. */
  UNDECODABLE,
  /** The document's stream has no token topic this job writes ({@code tokenizer.streams}). */
  UNKNOWN_STREAM,
  /** The text encodes to no tokens at all. */
  NO_TOKENS,
  /** A preference pair that cannot be packed: no prompt or response text, or a set without id. */
  BAD_PAIR
}
