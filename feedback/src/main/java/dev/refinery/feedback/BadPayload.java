package dev.refinery.feedback;

import dev.refinery.runtime.http.HttpError;

/**
 * A request body the gateway refuses: which field is wrong (a JSON path such as {@code
 * annotation.result[0].value.selected}) and why. The gateway answers it with a 4xx and writes
 * nothing of the request. Its status is 400, 401, 403, 404, 409, 413 or 422; its field the JSON
 * path of the wrong field, or {@code null} when the whole request is wrong.
 */
public final class BadPayload extends HttpError {
  private static final long serialVersionUID = 1L;

  public BadPayload(String field, String message) {
    this(422, field, message);
  }

  public BadPayload(int status, String field, String message) {
    super(status, field, field == null ? message : field + ": " + message);
  }
}
