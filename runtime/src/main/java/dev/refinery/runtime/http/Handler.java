package dev.refinery.runtime.http;

/** What a route does with a request: reads it from the exchange and answers on it. */
@FunctionalInterface
public interface Handler {
  /**
   * Serves one request. A handler that returns without answering sends 204.
   *
   * @throws HttpError to refuse the request: its status and a JSON body naming the field
   * @throws Exception anything else is a 500 with its message, logged with its stack trace
   */
  void handle(Exchange exchange) throws Exception;
}
