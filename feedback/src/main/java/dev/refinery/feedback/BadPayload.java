package dev.refinery.feedback;

/**
 * A request body the gateway refuses: which field is wrong (a JSON path such as {@code
 * annotation.result[0].value.selected}) and why. The gateway answers it with a 4xx and writes
 * nothing of the request.
 */
public final class BadPayload extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String field;

  public BadPayload(String field, String message) {
    this(422, field, message);
  }

  public BadPayload(int status, String field, String message) {
    super(field == null ? message : field + ": " + message);
    this.status = status;
    this.field = field;
  }

  /** The HTTP status to answer with: 400, 401, 403, 404, 409, 413 or 422. */
  public int status() {
    return status;
  }

  /** The JSON path of the wrong field, or {@code null} when the whole request is wrong. */
  public String field() {
    return field;
  }
}
