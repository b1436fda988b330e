package dev.refinery.runtime.http;

/**
 * A check of a request's method, path and headers (its token, say) that runs before a byte of its
 * body is read, so a caller who may not write cannot make the service read a body.
 */
@FunctionalInterface
public interface Guard {
  /**
   * @throws HttpError to refuse the request (401, 403, ...)
   */
  void check(Exchange exchange) throws HttpError;
}
