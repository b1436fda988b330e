package dev.refinery.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The labeling configuration of each Label Studio project, from (in this order) the project the
 * delivery carries, a file configured for the project ({@code
 * feedback.labelstudio.config.<project>}), or Label Studio's API ({@code GET /api/projects/<id>}
 * with {@code feedback.labelstudio.api.token}), fetched once and kept for five minutes.
 */
final class LabelStudioConfigs implements LabelStudioWebhook.Configs {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration KEEP = Duration.ofMinutes(5);

  private record Fetched(LabelConfig config, Instant at) {}

  private final Map<String, Path> files;
  private final String url;
  private final String token;
  private final HttpClient http;
  private final Clock clock;
  private final Map<String, Fetched> fetched = new ConcurrentHashMap<>();
  private final Map<String, LabelConfig> read = new ConcurrentHashMap<>();

  LabelStudioConfigs(Map<String, Path> files, String url, String token, Clock clock) {
    this.files = Map.copyOf(files);
    this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.token = token;
    this.clock = clock;
    this.http =
        url.isEmpty()
            ? null
            : HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
  }

  static LabelStudioConfigs of(FeedbackConfig config, Clock clock) {
    return new LabelStudioConfigs(
        config.labelConfigFiles(),
        config.labelStudioUrl(),
        config.labelStudioApiToken().value(),
        clock);
  }

  @Override
  public LabelConfig of(String projectId, JsonNode delivered) throws BadPayload {
    LabelConfig carried = DELIVERED.of(projectId, delivered);
    if (carried != null) {
      return carried;
    }
    Path file = files.get(projectId);
    if (file != null) {
      LabelConfig known = read.get(projectId);
      if (known == null) {
        String field = FeedbackConfig.LABEL_STUDIO_CONFIG_PREFIX + projectId;
        try {
          known = LabelConfig.parse(Files.readString(file), field);
        } catch (IOException e) {
          throw new BadPayload(500, field, "cannot read " + file + ": " + e.getMessage());
        }
        read.put(projectId, known);
      }
      return known;
    }
    if (http == null || token.isEmpty()) {
      return null;
    }
    Fetched f = fetched.get(projectId);
    if (f != null && f.at().plus(KEEP).isAfter(clock.instant())) {
      return f.config();
    }
    LabelConfig config = fetch(projectId);
    fetched.put(projectId, new Fetched(config, clock.instant()));
    return config;
  }

  private LabelConfig fetch(String projectId) throws BadPayload {
    if (!projectId.matches("\\d+")) {
      throw new BadPayload("project.id", "'" + projectId + "' is not a Label Studio project id");
    }
    String where = url + "/api/projects/" + projectId;
    HttpResponse<byte[]> response;
    try {
      response =
          http.send(
              HttpRequest.newBuilder(URI.create(where))
                  .timeout(Duration.ofSeconds(10))
                  .header("Authorization", "Token " + token)
                  .header("Accept", "application/json")
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new BadPayload(
          503, "project.label_config", "cannot reach Label Studio at " + where + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BadPayload(503, "project.label_config", "interrupted fetching " + where);
    }
    if (response.statusCode() != 200) {
      throw new BadPayload(
          503,
          "project.label_config",
          "Label Studio answered "
              + response.statusCode()
              + " to GET "
              + where
              + " (is "
              + FeedbackConfig.LABEL_STUDIO_API_TOKEN
              + " a token that may read the project?)");
    }
    JsonNode project;
    try {
      project = JSON.readTree(response.body());
    } catch (IOException e) {
      throw new BadPayload(503, "project.label_config", where + " did not answer JSON: " + e);
    }
    if (project == null || !project.path("label_config").isTextual()) {
      throw new BadPayload(
          503, "project.label_config", where + " answered a project without a label_config");
    }
    return LabelConfig.parse(project.get("label_config").asText(), "project.label_config");
  }
}
