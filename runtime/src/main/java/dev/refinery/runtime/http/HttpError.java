package dev.refinery.runtime.http;

/**
 * A refusal of a request: its status, the field of the request it concerns (a JSON path, a header
 * or a parameter; may be {@code null}) and a message that says what to do. The HTTP layer turns it
 * into {@code {"error": message, "field": field}} with that status.
 */
public class HttpError extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String field;

  public HttpError(int status, String field, String message) {
    super(message);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("an error status is 4xx or 5xx, not " + status);
    }
    this.status = status;
    this.field = field;
  }

  /** 400: the request cannot be read. */
  public static HttpError badRequest(String field, String message) {
    return new HttpError(400, field, message);
  }

  /** 422: the request was read but a field of it is not acceptable. */
  public static HttpError unprocessable(String field, String message) {
    return new HttpError(422, field, message);
  }

  /** 404: what the request names does not exist. */
  public static HttpError notFound(String field, String message) {
    return new HttpError(404, field, message);
  }

  /** 503: the service cannot do it now; the same request may succeed later. */
  public static HttpError unavailable(String message) {
    return new HttpError(503, null, message);
  }

  public int status() {
    return status;
  }

  public String field() {
    return field;
  }
}
