package dev.refinery.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicSnapshot;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Label Studio's open-source webhooks are sent once, without retries: a delivery lost while the
 * gateway was down is gone. The reconciler lists a project's annotations through Label Studio's API
 * ({@code GET /api/projects/<id>} for the labeling configuration, {@code GET
 * /api/projects/<id>/export?exportType=JSON} for the tasks and their annotations), compares them
 * with the labels on {@code feedback.preferences.v1}, and sends what the topic lacks through the
 * same path as the webhooks: an {@code ANNOTATION_CREATED} delivery for each annotation the topic
 * has not at its revision, an {@code ANNOTATIONS_DELETED} delivery for labels of the project the
 * tool no longer has. Running it twice sends nothing the second time.
 */
public final class LabelStudioReconciler {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where deliveries go: the gateway's webhook endpoint, or the gateway itself. */
  @FunctionalInterface
  public interface Sink {
    /**
     * Delivers one webhook body.
     *
     * @return {@code null} if it was taken, else why it was refused
     */
    String deliver(JsonNode delivery) throws IOException;
  }

  /** What one run did. */
  public record Report(int annotations, int sent, int upToDate, int deleted, List<String> refused) {
    @Override
    public String toString() {
      return annotations
          + " annotations in Label Studio: "
          + sent
          + " sent, "
          + upToDate
          + " already on feedback.preferences.v1, "
          + deleted
          + " deletions sent, "
          + refused.size()
          + " refused";
    }
  }

  private final String url;
  private final LabelStudioApi api;

  /**
   * @param url Label Studio's address
   * @param token an access token that may read the project
   */
  public LabelStudioReconciler(String url, String token) {
    this.url = url;
    this.api = new LabelStudioApi(url, token);
  }

  /** Reconciles one project: the labels on the topic are read with {@code kafka}. */
  public Report reconcile(String project, KafkaClients kafka, Sink sink) throws IOException {
    Map<String, PreferenceLabel> known = new HashMap<>();
    for (TopicSnapshot.Entry<PreferenceLabel> e :
        TopicSnapshot.read(kafka, Topics.FEEDBACK_PREFERENCES, Duration.ofSeconds(120))) {
      PreferenceLabel l = e.value();
      if (l != null) {
        known.merge(l.getLabelId(), l, (a, b) -> a.getRevision() >= b.getRevision() ? a : b);
      }
    }
    return reconcile(project, known, sink);
  }

  /** Reconciles one project against the labels known by label id (at their latest revision). */
  Report reconcile(String project, Map<String, PreferenceLabel> known, Sink sink)
      throws IOException {
    if (!project.matches("\\d+")) {
      throw new IllegalArgumentException("'" + project + "' is not a Label Studio project id");
    }
    JsonNode projectNode = get("/api/projects/" + project);
    JsonNode tasks = get("/api/projects/" + project + "/export?exportType=JSON");
    if (!tasks.isArray()) {
      throw new IOException(url + " answered an export that is not a list of tasks");
    }
    ObjectNode projectRef = JSON.createObjectNode();
    projectRef.put("id", Long.parseLong(project));
    if (projectNode.path("label_config").isTextual()) {
      projectRef.put("label_config", projectNode.get("label_config").asText());
    }
    String prefix = LabelStudioWebhook.TOOL + ":" + project + ":";
    Set<String> inTool = new HashSet<>();
    int annotations = 0;
    int sent = 0;
    int upToDate = 0;
    List<String> refused = new ArrayList<>();
    for (JsonNode task : tasks) {
      ObjectNode bareTask = ((ObjectNode) task.deepCopy());
      bareTask.remove("annotations");
      bareTask.remove("predictions");
      for (JsonNode annotation : task.path("annotations")) {
        annotations++;
        String id = prefix + annotation.path("id").asText();
        inTool.add(id);
        PreferenceLabel have = known.get(id);
        long revision = revision(annotation);
        if (annotation.path("was_cancelled").asBoolean(false)
            || (have != null && have.getRevision() >= revision)) {
          upToDate++;
          continue;
        }
        ObjectNode delivery = JSON.createObjectNode().put("action", "ANNOTATION_CREATED");
        ObjectNode a = annotation.deepCopy();
        a.put("task", task.path("id").asLong());
        delivery.set("annotation", a);
        delivery.set("task", bareTask);
        delivery.set("project", projectRef);
        String why = sink.deliver(delivery);
        if (why == null) {
          sent++;
        } else {
          refused.add(id + ": " + why);
        }
      }
    }
    ArrayNode gone = JSON.createArrayNode();
    for (PreferenceLabel l : known.values()) {
      if (l.getLabelId().startsWith(prefix)
          && !l.getDeleted()
          && !inTool.contains(l.getLabelId())) {
        gone.addObject().put("id", l.getLabelId().substring(prefix.length()));
      }
    }
    int deleted = 0;
    if (!gone.isEmpty()) {
      ObjectNode delivery = JSON.createObjectNode().put("action", "ANNOTATIONS_DELETED");
      delivery.set("annotations", gone);
      delivery.set("project", projectRef);
      String why = sink.deliver(delivery);
      if (why == null) {
        deleted = gone.size();
      } else {
        refused.add("deletions: " + why);
      }
    }
    return new Report(annotations, sent, upToDate, deleted, List.copyOf(refused));
  }

  /** An annotation's revision as the webhook parser reads it: its updated_at. */
  private static long revision(JsonNode annotation) {
    try {
      return Json.time(annotation, "updated_at", "annotation").toEpochMilli();
    } catch (BadPayload e) {
      return Instant.now().toEpochMilli();
    }
  }

  private JsonNode get(String path) throws IOException {
    return api.get(path, Duration.ofMinutes(5));
  }

  /** A sink that posts to a gateway's {@code /v1/webhooks/label-studio} with a token. */
  public static Sink gateway(URI gateway, String token) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    URI endpoint = gateway.resolve("/v1/webhooks/label-studio");
    return delivery -> {
      HttpResponse<String> r;
      try {
        r =
            client.send(
                HttpRequest.newBuilder(endpoint)
                    .timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Token " + token)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(delivery)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted posting to " + endpoint, e);
      }
      if (r.statusCode() == 200) {
        return null;
      }
      if (r.statusCode() >= 500 || r.statusCode() == 401 || r.statusCode() == 403) {
        throw new IOException(
            "the gateway at " + endpoint + " answered " + r.statusCode() + ": " + r.body());
      }
      return r.statusCode() + " " + r.body();
    };
  }
}
