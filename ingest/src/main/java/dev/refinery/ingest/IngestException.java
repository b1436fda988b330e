package dev.refinery.ingest;

/** Ingest could not do its work: an input it cannot open, or records Kafka did not take. */
public class IngestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public IngestException(String message, Throwable cause) {
    super(message, cause);
  }
}
