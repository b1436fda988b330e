package dev.refinery.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
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
  private static final Duration KEEP = Duration.ofMinutes(5);

  private record Fetched(LabelConfig config, Instant at) {}

  private final Map<String, Path> files;
  private final LabelStudioApi api;
  private final Clock clock;
  private final Map<String, Fetched> fetched = new ConcurrentHashMap<>();
  private final Map<String, LabelConfig> read = new ConcurrentHashMap<>();

  LabelStudioConfigs(Map<String, Path> files, String url, String token, Clock clock) {
    this.files = Map.copyOf(files);
    this.api = url.isEmpty() || token.isEmpty() ? null : new LabelStudioApi(url, token);
    this.clock = clock;
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
    if (api == null) {
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
    JsonNode project;
    try {
      project = api.get("/api/projects/" + projectId, Duration.ofSeconds(10));
    } catch (IOException e) {
      throw new BadPayload(503, "project.label_config", e.getMessage());
    }
    if (project == null || !project.path("label_config").isTextual()) {
      throw new BadPayload(
          503,
          "project.label_config",
          "Label Studio's project " + projectId + " has no label_config");
    }
    return LabelConfig.parse(project.get("label_config").asText(), "project.label_config");
  }
}
