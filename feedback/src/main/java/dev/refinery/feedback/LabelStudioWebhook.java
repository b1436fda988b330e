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

/**
 * Label Studio's webhook deliveries, in the shapes its webhook reference documents: {@code
 * ANNOTATION_CREATED} and {@code ANNOTATION_UPDATED} (one annotation, with its task nested), {@code
 * ANNOTATIONS_CREATED} (a list), and {@code ANNOTATIONS_DELETED} (annotation ids: their labels are
 * deleted, and their pairs retracted). Other actions are acknowledged and ignored, as are skipped
 * annotations ({@code was_cancelled}).
 *
 * <p>Every answer is oriented by what the task showed, never by list order. The project's labeling
 * configuration ({@link LabelConfig}: delivered with the webhook, configured as a file, or fetched
 * from Label Studio's API) says which task data field each object shows; that field holds a
 * completion id or a completion's exact text, matched to the sample's completions. Results read:
 * {@code pairwise} ({@code value.selected}: {@code left} is the first object its Pairwise tag's
 * {@code toName} names, {@code right} the second); {@code ranker} ({@code value.ranker}: the list
 * the Ranker ranks is a strict ranking of its items, best first; buckets are tiers in the order the
 * configuration lists them, the unranked {@code _} left out; items are the task's list items, by
 * id); {@code rating} (Likert, its scale from the tag's {@code maxRating}, default 5); {@code
 * choices} (flags). A rating or choice applies to the completion its object showed, else to the
 * whole sample. An answer that cannot be oriented unambiguously is refused (422) naming the field.
 *
 * <p>The sample id is {@code task.data.<feedback.sample.field>}. The label id is {@code
 * label-studio:<project>:<annotation>}, its revision the annotation's {@code updated_at}: an edit
 * in Label Studio supersedes the earlier label, a redelivery changes nothing.
 */
final class LabelStudioWebhook {
  static final String TOOL = "label-studio";

  private LabelStudioWebhook() {}

  /** Where the labeling configuration of a project comes from. */
  interface Configs {
    /**
     * The project's labeling configuration, or {@code null} if none is known.
     *
     * @param delivered the {@code project} object of the delivery, if it has one
     */
    LabelConfig of(String projectId, JsonNode delivered) throws BadPayload;

    /** Only what a delivery carries. */
    Configs DELIVERED =
        (projectId, delivered) ->
            delivered != null && delivered.path("label_config").isTextual()
                ? LabelConfig.parse(delivered.get("label_config").asText(), "project.label_config")
                : null;
  }

  static WebhookResult parse(JsonNode body, String sampleField, Configs configs) throws BadPayload {
    return parse(body, sampleField, configs, Instant.now());
  }

  /**
   * @param now when a deletion is received: its revision
   */
  static WebhookResult parse(JsonNode body, String sampleField, Configs configs, Instant now)
      throws BadPayload {
    String action = Json.text(body, "action", "");
    switch (action) {
      case "ANNOTATIONS_DELETED" -> {
        JsonNode project = body.get("project");
        String projectId = project != null && project.has("id") ? project.get("id").asText() : null;
        if (projectId == null) {
          throw new BadPayload("project.id", "missing: a deletion names annotations of a project");
        }
        JsonNode annotations = Json.array(body, "annotations", "");
        List<PreferenceLabel> deletions = new ArrayList<>();
        for (int i = 0; i < annotations.size(); i++) {
          String id = Json.text(annotations.get(i), "id", "annotations[" + i + "]");
          deletions.add(
              WebhookResult.deletion(
                  TOOL + ":" + projectId + ":" + id,
                  TOOL,
                  "project " + projectId + " annotation " + id + " (deleted)",
                  now));
        }
        return deletions.isEmpty()
            ? WebhookResult.ignore("no annotation deleted")
            : WebhookResult.deleted(deletions);
      }
      case "ANNOTATION_CREATED", "ANNOTATION_UPDATED" -> {
        JsonNode annotation = Json.object(body, "annotation", "");
        JsonNode task = body.get("task");
        PreferenceLabel label =
            annotation(
                annotation, "annotation", task, "task", body.get("project"), sampleField, configs);
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
                  sampleField,
                  configs);
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
      String sampleField,
      Configs configs)
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
    LabelConfig config = configs.of(projectId, project);
    Map<String, Double> maxRatings = config == null ? Map.of() : config.maxRatings();

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
          if (!selected.equals("left") && !selected.equals("right")) {
            throw new BadPayload(
                Json.at(at, "value.selected"), "'" + selected + "' is not left or right");
          }
          List<String> shown = pairwiseObjects(config, result, at, data, taskPath);
          String chosen = selected.equals("left") ? shown.get(0) : shown.get(1);
          String other = selected.equals("left") ? shown.get(1) : shown.get(0);
          ranking = List.of(List.of(chosen), List.of(other));
          kind = LabelKind.PAIRWISE;
        }
        case "ranker" -> {
          ranking =
              ranker(
                  Json.object(value, "ranker", Json.at(at, "value")),
                  Json.at(at, "value.ranker"),
                  config,
                  result,
                  at,
                  data,
                  taskPath);
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
                  .setCompletionId(target(target, config, data, taskPath))
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
                    .setCompletionId(target(target, config, data, taskPath))
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

  /**
   * The completions a pairwise result compares, left then right: the objects its Pairwise tag names
   * in the project's configuration, and what the task's data showed in them.
   */
  private static List<String> pairwiseObjects(
      LabelConfig config, JsonNode result, String at, JsonNode data, String taskPath)
      throws BadPayload {
    String control = result.path("from_name").asText("");
    if (config == null) {
      throw new BadPayload(
          "project.label_config",
          "missing: a pairwise choice is oriented by the objects its Pairwise tag compares, so the"
              + " gateway needs the project's labeling configuration (deliver the project with the"
              + " webhook, configure "
              + FeedbackConfig.LABEL_STUDIO_URL
              + " and "
              + FeedbackConfig.LABEL_STUDIO_API_TOKEN
              + ", or "
              + FeedbackConfig.LABEL_STUDIO_CONFIG_PREFIX
              + "<project>=<file>)");
    }
    List<String> objects = config.pairwise().get(control);
    if (objects == null || objects.size() != 2) {
      throw new BadPayload(
          Json.at(at, "from_name"),
          "'"
              + control
              + "' is not a Pairwise tag comparing two objects in the project's labeling"
              + " configuration");
    }
    List<String> shown = new ArrayList<>();
    for (String object : objects) {
      shown.add(shownBy(object, config, data, taskPath, true));
    }
    return shown;
  }

  /** What the task showed in an object: a reference resolved against the sample. */
  private static String shownBy(
      String object, LabelConfig config, JsonNode data, String taskPath, boolean strict)
      throws BadPayload {
    String field = config.fieldOfObject().get(object);
    if (field == null) {
      if (!strict) {
        return null;
      }
      throw new BadPayload(
          "project.label_config",
          "object '" + object + "' shows no task data field (value=\"$field\")");
    }
    String path = Json.at(Json.at(taskPath, "data"), field);
    JsonNode shown = data.get(field);
    if (shown == null || !shown.isValueNode() || shown.asText().isBlank()) {
      if (!strict) {
        return null;
      }
      throw new BadPayload(path, "missing: object '" + object + "' shows it");
    }
    return LabelResolver.shown(path, shown.asText(), shown.asText());
  }

  /** The completion a rating or choice applies to: what its object showed, else the sample. */
  private static String target(String target, LabelConfig config, JsonNode data, String taskPath)
      throws BadPayload {
    if (target.isEmpty()) {
      return null;
    }
    if (config != null && config.fieldOfObject().containsKey(target)) {
      return shownBy(target, config, data, taskPath, false);
    }
    return LabelResolver.soft(target);
  }

  /**
   * A Ranker's answer as tiers, best first. Its item ids are looked up in the list the task showed
   * ({@code <List value="$items">}: items with an {@code id} and a {@code body}), each item naming
   * a completion by its id or its text. One list is a strict ranking; buckets are tiers in the
   * order the project's configuration lists them, never in the order of the delivery's keys.
   */
  private static List<List<String>> ranker(
      JsonNode ranker,
      String path,
      LabelConfig config,
      JsonNode result,
      String at,
      JsonNode data,
      String taskPath)
      throws BadPayload {
    String control = result.path("from_name").asText("");
    String listObject = result.path("to_name").asText("");
    List<String> keys = new ArrayList<>();
    ranker.fieldNames().forEachRemaining(keys::add);
    keys.remove("_");
    List<String> order;
    boolean strict = keys.size() == 1 && keys.get(0).equals(listObject);
    if (strict) {
      order = keys;
    } else {
      if (config == null || !config.buckets().containsKey(control)) {
        throw new BadPayload(
            "project.label_config",
            "missing or without Ranker '"
                + control
                + "': the buckets "
                + keys
                + " can only be ordered by the project's labeling configuration, never by the"
                + " order of the delivery's keys");
      }
      order = config.buckets().get(control);
      for (String key : keys) {
        if (!order.contains(key) && !key.equals(listObject)) {
          throw new BadPayload(
              Json.at(path, key),
              "is not a Bucket of Ranker '" + control + "' (its buckets are " + order + ")");
        }
      }
    }
    Map<String, JsonNode> items = items(config, listObject, data);
    String itemsPath =
        config == null || config.fieldOfObject().get(listObject) == null
            ? Json.at(taskPath, "data")
            : Json.at(Json.at(taskPath, "data"), config.fieldOfObject().get(listObject));
    List<List<String>> tiers = new ArrayList<>();
    for (String bucket : order) {
      JsonNode ids = ranker.get(bucket);
      if (ids == null) {
        continue;
      }
      if (!ids.isArray()) {
        throw new BadPayload(Json.at(path, bucket), "must be a list of item ids");
      }
      List<String> refs = new ArrayList<>();
      for (JsonNode item : ids) {
        refs.add(itemReference(item.asText(), items, itemsPath, Json.at(path, bucket)));
      }
      if (strict) {
        refs.forEach(r -> tiers.add(List.of(r)));
      } else if (!refs.isEmpty()) {
        tiers.add(refs);
      }
    }
    if (tiers.isEmpty()) {
      throw new BadPayload(path, "ranks no item");
    }
    return tiers;
  }

  /** The items of the list a Ranker ranks, by id, as the task showed them. */
  private static Map<String, JsonNode> items(LabelConfig config, String listObject, JsonNode data) {
    Map<String, JsonNode> items = new HashMap<>();
    String field = config == null ? null : config.fieldOfObject().get(listObject);
    JsonNode list = field == null ? null : data.get(field);
    if (list != null && list.isArray()) {
      for (JsonNode item : list) {
        if (item.hasNonNull("id")) {
          items.put(item.get("id").asText(), item);
        }
      }
    }
    return items;
  }

  private static String itemReference(
      String itemId, Map<String, JsonNode> items, String itemsPath, String answerPath)
      throws BadPayload {
    JsonNode item = items.get(itemId);
    if (item == null) {
      if (!items.isEmpty()) {
        throw new BadPayload(
            answerPath,
            "item '" + itemId + "' is not in the list the task showed (" + itemsPath + ")");
      }
      // no list in the task: the item id is the completion's
      return LabelResolver.shown(answerPath, itemId, null);
    }
    String text = null;
    for (String f : List.of("body", "text", "html", "title")) {
      if (item.path(f).isTextual()) {
        text = item.get(f).asText();
        break;
      }
    }
    return LabelResolver.shown(itemsPath + "[id=" + itemId + "]", itemId, text);
  }
}
