package dev.refinery.ingest;

/**
 * Why ingest refused an input record; the {@code reason} of its {@code corpus.rejected.v1} record.
 */
public enum RejectReason {
  /** The line is not valid JSON, or has content after the JSON value. */
  MALFORMED_JSON,
  /** The line is valid JSON but not an object. */
  NOT_AN_OBJECT,
  /** None of the configured text fields is present as a string. */
  MISSING_TEXT,
  /** A supervised fine-tuning record whose turns cannot be read, or with no assistant turn. */
  BAD_CONVERSATION,
  /** The text is empty or only white space (for HTML: no text once markup is removed). */
  EMPTY_TEXT,
  /** The text contains NUL characters, which no tokenizer should see. */
  TEXT_HAS_NUL,
  /** The bytes are not valid UTF-8 (or not valid in the charset the record declares). */
  INVALID_UTF8,
  /** The record is larger than {@code ingest.max.document.bytes}. */
  DOCUMENT_TOO_LARGE,
  /**
   * The input ended in the middle (a cut .gz or .zst file): the rest of the file could not be read.
   */
  TRUNCATED_INPUT,
  /** The file is not what its name says (a .gz file that is not gzip): none of it could be read. */
  CORRUPT_INPUT,
  /** The file decompresses beyond {@code ingest.max.decompressed.bytes} or the ratio limit. */
  DECOMPRESSION_LIMIT,
  /** A WARC record whose headers or HTTP message cannot be parsed. */
  BROKEN_WARC_RECORD,
  /**
   * A multimodal record whose elements cannot be read (interleaved lists of different lengths, an
   * element neither text nor image), or with neither text nor a valid image.
   */
  BAD_MULTIMODAL
}
