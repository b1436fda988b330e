package dev.refinery.runtime.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * One request and its answer. A handler reads the request (method, path parameters, query, headers,
 * a bounded body) and answers once: {@link #json}, {@link #send} or {@link #stream}.
 */
public final class Exchange {
  /**
   * Reads a body as one JSON value and nothing after it: Jackson's default reads the first value
   * and ignores the rest, so that NDJSON sent as one JSON body was taken as its first line alone.
   */
  static final ObjectMapper JSON =
      com.fasterxml.jackson.databind.json.JsonMapper.builder()
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private final Request request;
  private final Response response;
  private final Map<String, String> pathParameters;
  private final long maxBodyBytes;
  private final String maxBodySetting;
  private Map<String, String> query;
  private byte[] body;
  private boolean answered;
  private ByteBuffer pending;
  private boolean streamed;

  Exchange(
      Request request,
      Response response,
      Map<String, String> pathParameters,
      long maxBodyBytes,
      String maxBodySetting) {
    this.request = request;
    this.response = response;
    this.pathParameters = pathParameters;
    this.maxBodyBytes = maxBodyBytes;
    this.maxBodySetting = maxBodySetting;
  }

  public String method() {
    return request.getMethod();
  }

  public String path() {
    return request.getHttpURI().getPath();
  }

  /** A {@code {name}} segment of the route's path. */
  public String pathParameter(String name) {
    String value = pathParameters.get(name);
    if (value == null) {
      throw new IllegalArgumentException("the route has no parameter {" + name + "}");
    }
    return value;
  }

  /** The query parameters, decoded; the first value of a repeated one. */
  public Map<String, String> query() {
    if (query == null) {
      Map<String, String> q = new LinkedHashMap<>();
      Fields fields = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
      fields.forEach(f -> q.put(f.getName(), f.getValue()));
      query = Collections.unmodifiableMap(q);
    }
    return query;
  }

  /** A request header, or {@code null}. */
  public String header(String name) {
    return request.getHeaders().get(name);
  }

  /** The declared {@code Content-Type} in lower case, or {@code ""}. */
  public String contentType() {
    String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    return type == null ? "" : type.toLowerCase(java.util.Locale.ROOT).trim();
  }

  public String remoteAddress() {
    return Request.getRemoteAddr(request);
  }

  /**
   * The whole body. The server reads it, without holding a thread, before the handler runs (and
   * after the route's guard), within the route's size limit and the request timeout.
   *
   * @throws IllegalStateException when called from a guard, before the body is read
   */
  public byte[] body() {
    if (body == null) {
      throw new IllegalStateException("the body is read after the guard, not in it");
    }
    return body;
  }

  void body(byte[] read) {
    this.body = read;
  }

  /**
   * Lets the body go, once the handler has made of it what it keeps (ingest, its documents'
   * records) and before it waits for anything, so that a body is not held twice; {@link #body} is
   * then empty. The body's room in the server's bound is still held until the answer.
   */
  public void releaseBody() {
    if (body != null) {
      body = new byte[0];
    }
  }

  /** The declared length of the body, or -1 when it is not declared. */
  long declaredLength() {
    return request.getLength();
  }

  /**
   * The body as JSON.
   *
   * @throws HttpError 400 for an empty body or one that is not JSON
   */
  public JsonNode json() throws HttpError {
    byte[] bytes = body();
    if (bytes.length == 0) {
      throw HttpError.badRequest(null, "empty body; send JSON");
    }
    try {
      JsonNode node = JSON.readTree(bytes);
      if (node == null || node.isMissingNode()) {
        throw HttpError.badRequest(null, "empty body; send JSON");
      }
      return node;
    } catch (JacksonException e) {
      if (String.valueOf(e.getOriginalMessage()).startsWith("Trailing token")) {
        throw HttpError.badRequest(
            null,
            "the body has more after its JSON value; send one JSON value (an array for many)");
      }
      throw HttpError.badRequest(null, "body is not JSON (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw HttpError.badRequest(null, "cannot read the body: " + e.getMessage());
    }
  }

  HttpError tooLarge() {
    closeAfter();
    return new HttpError(
        413,
        null,
        "request body is over "
            + (maxBodySetting == null ? "" : maxBodySetting + "=")
            + maxBodyBytes
            + " bytes; send smaller requests");
  }

  /** Adds a response header. */
  public Exchange header(String name, String value) {
    response.getHeaders().add(name, value);
    return this;
  }

  /** Asks the client to close the connection after this response. */
  public void closeAfter() {
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
  }

  /** Answers with a JSON body. */
  public void json(int status, Object body) {
    try {
      send(status, "application/json", JSON.writeValueAsBytes(body));
    } catch (JacksonException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }

  /** Answers with plain UTF-8 text. */
  public void text(int status, String body) {
    send(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
  }

  /** Answers with a body of the given type. */
  public void send(int status, String contentType, byte[] body) {
    begin(status, contentType);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    pending = ByteBuffer.wrap(body);
  }

  /** Writes a body of unknown length, as the writer produces it (chunked). */
  public void stream(int status, String contentType, BodyWriter writer) throws IOException {
    begin(status, contentType);
    try (OutputStream out = Content.Sink.asOutputStream(response)) {
      writer.write(out);
    }
    streamed = true;
  }

  /** Writes a streamed body. */
  @FunctionalInterface
  public interface BodyWriter {
    void write(OutputStream out) throws IOException;
  }

  private void begin(int status, String contentType) {
    if (answered) {
      throw new IllegalStateException("this request was answered already");
    }
    answered = true;
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
  }

  boolean answered() {
    return answered;
  }

  /** Sends what was answered, or 204 if nothing was, and completes the exchange. */
  void complete(Callback callback) {
    if (streamed) {
      callback.succeeded();
      return;
    }
    if (!answered) {
      response.setStatus(204);
      response.write(true, null, callback);
      return;
    }
    response.write(true, pending, callback);
  }
}
