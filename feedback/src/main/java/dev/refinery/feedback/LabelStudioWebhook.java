package dev.refinery.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refinery.schemas.Flag;
import dev.refinery.schemas.LabelKind;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.Rating;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Label Studio's webhook deliveries, in the shapes its webhook reference documents: {@code
 * ANNOTATION_CREATED} and {@code ANNOTATION_UPDATED} (one annotation, with its task nested) and
 * {@code ANNOTATIONS_CREATED} (a list). Other actions are acknowledged and ignored, as are skipped
 * annotations ({@code was_cancelled}).
 *
 * <p>Results read: {@code pairwise} ({@code value.selected} = {@code left} is the first completion
 * of the sample, {@code right} the second); {@code ranker} ({@code value.ranker}: one list is a
 * strict ranking of item ids, best first; several buckets are tiers in the order the project
 * defines them, the items of one bucket tied, the unranked bucket {@code _} left out); {@code
 * rating} (a Likert rating, its scale from the project's {@code maxRating}, default 5); {@code
 * choices} (flags). Ratings and flags apply to the completion their {@code to_name} names (by id or
 * trailing number, {@code answer2}), else to the whole sample.
 *
 * <p>The sample id is {@code task.data.<feedback.sample.field>}. The label id is {@code
 * label-studio:<project>:<annotation>}, its revision the annotation's {@code updated_at}: an edit
 * in Label Studio supersedes the earlier label, a redelivery changes nothing.
 */
final class LabelStudioWebhook {
  static final String TOOL = "label-studio";
  private static final Pattern TAG = Pattern.compile("<(Rating|Ranker)\\b([^>]*)>");
  private static final Pattern ATTRIBUTE = Pattern.compile("(\\w+)\\s*=\\s*\"([^\"]*)\"");

  private LabelStudioWebhook() {}

  static WebhookResult parse(JsonNode body, String sampleField) throws BadPayload {
    String action = Json.text(body, "action", "");
    switch (action) {
      case "ANNOTATION_CREATED", "ANNOTATION_UPDATED" -> {
        JsonNode annotation = Json.object(body, "annotation", "");
        JsonNode task = body.get("task");
        PreferenceLabel label =
            annotation(annotation, "annotation", task, "task", body.get("project"), sampleField);
        return label == null
            ? WebhookResult.ignore("skipped annotation")
            : WebhookResult.of(List.of(label));
      }
      case "ANNOTATIONS_CREATED" -> {
        JsonNode annotations = Json.array(body, "annotation", "");
        JsonNode tasks = body.get("task");
        List<PreferenceLabel> labels = new ArrayList<>();
        for (int i = 0; i < annotations.size(); i++) {
          JsonNode annotation = annotations.get(i);
          JsonNode task = taskOf(annotation, tasks);
          PreferenceLabel label =
              annotation(
                  annotation,
                  "annotation[" + i + "]",
                  task,
                  "task",
                  body.get("project"),
                  sampleField);
          if (label != null) {
            labels.add(label);
          }
        }
        return labels.isEmpty()
            ? WebhookResult.ignore("only skipped annotations")
            : WebhookResult.of(labels);
      }
      default -> {
        return WebhookResult.ignore("action " + action + " carries no label");
      }
    }
  }

  /** The task of an annotation in a bulk delivery, whose tasks come as a list. */
  private static JsonNode taskOf(JsonNode annotation, JsonNode tasks) {
    if (tasks == null || !tasks.isArray()) {
      return tasks;
    }
    for (JsonNode task : tasks) {
      if (task.path("id").asText().equals(annotation.path("task").asText())) {
        return task;
      }
    }
    return null;
  }

  private static PreferenceLabel annotation(
      JsonNode annotation,
      String path,
      JsonNode task,
      String taskPath,
      JsonNode project,
      String sampleField)
      throws BadPayload {
    if (!annotation.isObject()) {
      throw new BadPayload(path, "must be an object");
    }
    if (Json.flag(annotation, "was_cancelled", path)) {
      return null;
    }
    if (task == null || !task.isObject()) {
      throw new BadPayload(
          taskPath,
          "missing: Label Studio nests the annotation's task in the delivery (enable 'send"
              + " payload' on the webhook)");
    }
    JsonNode data = Json.object(task, "data", taskPath);
    String sampleId = Json.text(data, sampleField, Json.at(taskPath, "data"));
    String projectId =
        project != null && project.has("id")
            ? project.get("id").asText()
            : Json.text(task, "project", taskPath);
    String annotationId = Json.text(annotation, "id", path);
    Instant updated = Json.time(annotation, "updated_at", path);
    Instant created = Json.optionalTime(annotation, "created_at", path);
    JsonNode completedBy = annotation.get("completed_by");
    String user =
        completedBy != null && completedBy.isObject()
            ? Json.text(completedBy, "id", Json.at(path, "completed_by"))
            : Json.text(annotation, "completed_by", path);
    Double leadTime = Json.optionalNumber(annotation, "lead_time", path);
    Map<String, Double> maxRatings = maxRatings(project);

    List<List<String>> ranking = List.of();
    LabelKind kind = LabelKind.RATING;
    List<Rating> ratings = new ArrayList<>();
    List<Flag> flags = new ArrayList<>();
    JsonNode results = Json.array(annotation, "result", path);
    for (int i = 0; i < results.size(); i++) {
      String at = Json.at(path, "result[" + i + "]");
      JsonNode result = results.get(i);
      String type = Json.text(result, "type", at);
      JsonNode value = Json.object(result, "value", at);
      String target = result.path("to_name").asText("");
      switch (type) {
        case "pairwise" -> {
          String selected = Json.text(value, "selected", Json.at(at, "value"));
          ranking =
              switch (selected) {
                case "left" ->
                    List.of(
                        List.of(LabelResolver.byPosition(1)), List.of(LabelResolver.byPosition(2)));
                case "right" ->
                    List.of(
                        List.of(LabelResolver.byPosition(2)), List.of(LabelResolver.byPosition(1)));
                default ->
                    throw new BadPayload(
                        Json.at(at, "value.selected"), "'" + selected + "' is not left or right");
              };
          kind = LabelKind.PAIRWISE;
        }
        case "ranker" -> {
          ranking =
              ranker(
                  Json.object(value, "ranker", Json.at(at, "value")), Json.at(at, "value.ranker"));
          kind = LabelKind.RANKING;
        }
        case "rating" -> {
          Double rating = Json.optionalNumber(value, "rating", Json.at(at, "value"));
          if (rating == null) {
            throw new BadPayload(Json.at(at, "value.rating"), "missing");
          }
          String name = result.path("from_name").asText("rating");
          ratings.add(
              Rating.newBuilder()
                  .setCompletionId(target.isEmpty() ? null : LabelResolver.soft(target))
                  .setDimension(name)
                  .setValue(rating)
                  .setScaleMax(maxRatings.getOrDefault(name, 5.0))
                  .build());
        }
        case "choices" -> {
          JsonNode choices = Json.array(value, "choices", Json.at(at, "value"));
          for (JsonNode choice : choices) {
            flags.add(
                Flag.newBuilder()
                    .setCompletionId(target.isEmpty() ? null : LabelResolver.soft(target))
                    .setFlag(choice.asText())
                    .build());
          }
        }
        default -> {
          // other controls (text areas, labels) carry nothing a reward model reads
        }
      }
    }
    if (ranking.isEmpty() && ratings.isEmpty()) {
      throw new BadPayload(
          Json.at(path, "result"),
          "has no pairwise, ranker or rating result to take a preference from");
    }
    return PreferenceLabel.newBuilder()
        .setLabelId(TOOL + ":" + projectId + ":" + annotationId)
        .setRevision(updated.toEpochMilli())
        .setSampleId(sampleId)
        .setKind(kind)
        .setRanking(ranking)
        .setStrength(null)
        .setRatings(ratings)
        .setFlags(flags)
        .setLabeler(user)
        .setTimeSpentMs(leadTime == null ? null : Math.round(leadTime * 1000))
        .setTool(TOOL)
        .setToolRef(
            "project "
                + projectId
                + " task "
                + task.path("id").asText("?")
                + " annotation "
                + annotationId)
        .setGold(Json.flag(annotation, "ground_truth", path))
        .setLabeledAt(created == null ? updated : created)
        .build();
  }

  private static List<List<String>> ranker(JsonNode ranker, String path) throws BadPayload {
    List<List<String>> tiers = new ArrayList<>();
    List<String> lists = new ArrayList<>();
    ranker.fieldNames().forEachRemaining(lists::add);
    lists.remove("_");
    for (String list : lists) {
      JsonNode items = ranker.get(list);
      if (!items.isArray()) {
        throw new BadPayload(Json.at(path, list), "must be a list of item ids");
      }
      List<String> ids = new ArrayList<>();
      for (JsonNode item : items) {
        ids.add(LabelResolver.idOrPosition(item.asText()));
      }
      if (lists.size() == 1) {
        ids.forEach(id -> tiers.add(List.of(id)));
      } else if (!ids.isEmpty()) {
        tiers.add(ids);
      }
    }
    if (tiers.isEmpty()) {
      throw new BadPayload(path, "ranks no item");
    }
    return tiers;
  }

  /** {@code maxRating} of each Rating tag in the project's labeling config. */
  private static Map<String, Double> maxRatings(JsonNode project) {
    Map<String, Double> max = new HashMap<>();
    if (project == null || !project.path("label_config").isTextual()) {
      return max;
    }
    Matcher tag = TAG.matcher(project.get("label_config").asText());
    while (tag.find()) {
      Map<String, String> attributes = new HashMap<>();
      Matcher a = ATTRIBUTE.matcher(tag.group(2));
      while (a.find()) {
        attributes.put(a.group(1), a.group(2));
      }
      String name = attributes.get("name");
      String maxRating = attributes.get("maxRating");
      if (name != null && maxRating != null && maxRating.matches("\\d+")) {
        max.put(name, Double.parseDouble(maxRating));
      }
    }
    return max;
  }
}
