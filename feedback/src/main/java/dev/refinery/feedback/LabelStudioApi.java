package dev.refinery.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads Label Studio's REST API with an access token ({@code Authorization: Token ...}). */
final class LabelStudioApi {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String url;
  private final String token;
  private final HttpClient http;

  LabelStudioApi(String url, String token) {
    this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.token = token;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /**
   * {@code GET <url><path>} as JSON.
   *
   * @throws IOException if Label Studio cannot be reached, answers other than 200, or not JSON; the
   *     message says which, and what to check
   */
  JsonNode get(String path, Duration timeout) throws IOException {
    String where = url + path;
    HttpResponse<byte[]> response;
    try {
      response =
          http.send(
              HttpRequest.newBuilder(URI.create(where))
                  .timeout(timeout)
                  .header("Authorization", "Token " + token)
                  .header("Accept", "application/json")
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted reading " + where, e);
    }
    if (response.statusCode() != 200) {
      throw new IOException(
          "Label Studio answered "
              + response.statusCode()
              + " to GET "
              + where
              + (response.statusCode() == 401 || response.statusCode() == 403
                  ? " (is " + FeedbackConfig.LABEL_STUDIO_API_TOKEN + " a token that may read it?)"
                  : ""));
    }
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IOException(where + " did not answer JSON: " + e.getMessage(), e);
    }
  }
}
