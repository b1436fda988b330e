package dev.refinery.schemas;

/**
 * Bytes that are not a valid single-object encoded record of the expected type: a wrong or missing
 * header, a schema fingerprint that this build does not know, or a body that does not decode.
 *
 * <p>This is a permanent error for the record: retrying will not help, so stages route the record
 * to {@code corpus.rejected.v1} (or a dead-letter topic) with {@link #getMessage()} as its detail.
 */
public class RecordDecodeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RecordDecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
