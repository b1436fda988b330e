package dev.refinery.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refinery.schemas.Flag;
import dev.refinery.schemas.LabelKind;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.Rating;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Argilla's webhook deliveries ({@code {type, version, timestamp, data}}), for the events {@code
 * response.created} and {@code response.updated}, and {@code response.deleted} (the label is
 * deleted and its pairs retracted); other events, and responses that are not {@code submitted}
 * (drafts, discarded), are acknowledged and ignored.
 *
 * <p>The response's {@code values} are read by shape: a ranking question ({@code [{value, rank}]},
 * equal ranks tied) is the preference; a label question is a pairwise choice when it is named in
 * {@code feedback.argilla.preference.questions} (by default {@code preference}, {@code preferred},
 * {@code chosen}, {@code better}) or when two of its options or more name fields of the record
 * ({@code tie}, {@code equal}, {@code both} or {@code same} is a tie); a number is a rating (its
 * scale the question's largest option), of the completion whose field the question's name contains
 * ({@code rating-response-2}), else of the sample; a list of strings is flags. An option names a
 * completion through the record field of that name, whose text is the completion's, or by a
 * completion id; never by its position, since a record may show its responses in any order. The
 * sample id is {@code record.metadata.<feedback.sample.field>}, else the record's {@code
 * external_id}. The label id is {@code argilla:<response id>}, its revision the response's {@code
 * updated_at}.
 */
final class ArgillaWebhook {
  static final String TOOL = "argilla";
  private static final Set<String> PAIRWISE = Set.of("preference", "preferred", "chosen", "better");
  private static final Set<String> TIES = Set.of("tie", "equal", "both", "same");

  private ArgillaWebhook() {}

  static WebhookResult parse(JsonNode body, String sampleField) throws BadPayload {
    return parse(body, sampleField, PAIRWISE);
  }

  /**
   * @param preferenceQuestions names of label questions that carry a pairwise preference, besides
   *     those whose options name the record's fields
   */
  static WebhookResult parse(JsonNode body, String sampleField, Set<String> preferenceQuestions)
      throws BadPayload {
    String type = Json.text(body, "type", "");
    if (type.equals("response.deleted")) {
      JsonNode data = Json.object(body, "data", "");
      String responseId = Json.text(data, "id", "data");
      Instant at = Json.optionalTime(body, "timestamp", "");
      return WebhookResult.deleted(
          List.of(
              WebhookResult.deletion(
                  TOOL + ":" + responseId,
                  TOOL,
                  "response " + responseId + " (deleted)",
                  at == null ? Instant.now() : at)));
    }
    if (!type.equals("response.created") && !type.equals("response.updated")) {
      return WebhookResult.ignore("event " + type + " carries no label");
    }
    JsonNode data = Json.object(body, "data", "");
    String status = Json.text(data, "status", "data");
    if (!status.equals("submitted")) {
      return WebhookResult.ignore(
          "response status " + status + " (only submitted responses count)");
    }
    JsonNode record = Json.object(data, "record", "data");
    JsonNode metadata = record.get("metadata");
    String sampleId =
        metadata != null && metadata.isObject() && metadata.hasNonNull(sampleField)
            ? Json.text(metadata, sampleField, "data.record.metadata")
            : Json.optionalText(record, "external_id", "data.record");
    if (sampleId == null) {
      throw new BadPayload(
          "data.record.external_id",
          "missing, and data.record.metadata."
              + sampleField
              + " too: the sample id must be in one");
    }
    JsonNode user = Json.object(data, "user", "data");
    String responseId = Json.text(data, "id", "data");
    Instant updated = Json.time(data, "updated_at", "data");
    Instant inserted = Json.optionalTime(data, "inserted_at", "data");
    Map<String, Double> scales = ratingScales(record.path("dataset").path("questions"));
    JsonNode fields = record.path("fields");
    Map<String, List<String>> options = options(record.path("dataset").path("questions"));

    JsonNode values = Json.object(data, "values", "data");
    List<List<String>> ranking = List.of();
    LabelKind kind = LabelKind.RATING;
    List<Rating> ratings = new ArrayList<>();
    List<Flag> flags = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> questions = values.fields();
    while (questions.hasNext()) {
      Map.Entry<String, JsonNode> question = questions.next();
      String at = "data.values." + question.getKey() + ".value";
      JsonNode value = question.getValue().get("value");
      if (value == null || value.isNull()) {
        continue;
      }
      if (value.isArray() && !value.isEmpty() && value.get(0).isObject()) {
        ranking = ranks(value, at, fields);
        kind = LabelKind.RANKING;
      } else if (value.isTextual()
          && isPreference(
              question.getKey(), options.get(question.getKey()), fields, preferenceQuestions)) {
        String choice = value.asText();
        if (TIES.contains(choice.toLowerCase(Locale.ROOT))) {
          ranking = List.of(tie(options.get(question.getKey()), fields, at));
        } else {
          String chosen = option(choice, fields, at);
          ranking =
              List.of(
                  List.of(chosen),
                  List.of(other(choice, options.get(question.getKey()), fields, at, chosen)));
        }
        kind = LabelKind.PAIRWISE;
      } else if (value.isNumber()) {
        String field = fieldNamedBy(question.getKey(), fields);
        ratings.add(
            Rating.newBuilder()
                .setCompletionId(
                    field == null
                        ? null
                        : LabelResolver.shown(
                            "data.record.fields." + field, field, fields.get(field).asText()))
                .setDimension(question.getKey())
                .setValue(value.asDouble())
                .setScaleMax(scales.get(question.getKey()))
                .build());
      } else if (value.isArray()) {
        for (JsonNode flag : value) {
          flags.add(Flag.newBuilder().setCompletionId(null).setFlag(flag.asText()).build());
        }
      }
    }
    if (ranking.isEmpty() && ratings.isEmpty()) {
      throw new BadPayload(
          "data.values",
          "has no ranking, pairwise (preference/chosen/better) or rating question to take a"
              + " preference from");
    }
    return WebhookResult.of(
        List.of(
            PreferenceLabel.newBuilder()
                .setLabelId(TOOL + ":" + responseId)
                .setRevision(updated.toEpochMilli())
                .setSampleId(sampleId)
                .setKind(kind)
                .setRanking(ranking)
                .setStrength(null)
                .setRatings(ratings)
                .setFlags(flags)
                .setLabeler(Json.text(user, "id", "data.user"))
                .setTimeSpentMs(null)
                .setTool(TOOL)
                .setToolRef(
                    "dataset "
                        + record.path("dataset").path("name").asText("?")
                        + " record "
                        + record.path("id").asText("?")
                        + " response "
                        + responseId)
                .setGold(false)
                .setLabeledAt(inserted == null ? updated : inserted)
                .build()));
  }

  /**
   * A completion as an option names it: the record field of that name, whose text is the
   * completion's (the usual {@code response-1}, {@code response-2}), else a completion id or text.
   * Never a position: the record may list its responses in any order.
   */
  private static String option(String option, JsonNode fields, String path) {
    JsonNode shown = fields.get(option);
    if (shown != null && shown.isTextual()) {
      return LabelResolver.shown("data.record.fields." + option, option, shown.asText());
    }
    return LabelResolver.shown(path, option, null);
  }

  /**
   * The completion not chosen: the question's other option when it has two, else the sample's other
   * completion (a sample of two).
   */
  private static String other(
      String choice, List<String> options, JsonNode fields, String path, String chosen) {
    if (options != null) {
      List<String> others =
          options.stream()
              .filter(o -> !o.equals(choice) && !TIES.contains(o.toLowerCase(Locale.ROOT)))
              .toList();
      if (others.size() == 1) {
        return option(others.get(0), fields, path);
      }
    }
    return LabelResolver.otherThan(chosen);
  }

  /** A tie of a pairwise question: every option that names a completion. */
  private static List<String> tie(List<String> options, JsonNode fields, String path)
      throws BadPayload {
    List<String> tied = new ArrayList<>();
    if (options != null) {
      for (String o : options) {
        if (!TIES.contains(o.toLowerCase(Locale.ROOT))) {
          tied.add(option(o, fields, path));
        }
      }
    }
    if (tied.size() < 2) {
      // the dataset's settings are not in the delivery: a tie of a sample of two
      return List.of(LabelResolver.byPosition(1), LabelResolver.byPosition(2));
    }
    return tied;
  }

  /**
   * Whether a label question carries a pairwise preference: it is named so (configurable), or at
   * least two of its options name fields of the record.
   */
  private static boolean isPreference(
      String question, List<String> options, JsonNode fields, Set<String> named) {
    if (named.contains(question.toLowerCase(Locale.ROOT))) {
      return true;
    }
    if (options == null) {
      return false;
    }
    return options.stream().filter(o -> fields.path(o).isTextual()).count() >= 2;
  }

  /**
   * The one record field a rating question's name contains ({@code rating-response-2} rates {@code
   * response-2}), or {@code null}: the rating is then of the sample as a whole.
   */
  private static String fieldNamedBy(String question, JsonNode fields) {
    String found = null;
    for (Iterator<String> names = fields.fieldNames(); names.hasNext(); ) {
      String field = names.next();
      if (question.contains(field) && fields.get(field).isTextual()) {
        if (found != null && !found.contains(field) && !field.contains(found)) {
          return null;
        }
        if (found == null || field.length() > found.length()) {
          found = field;
        }
      }
    }
    return found;
  }

  /** The option values of each question in the dataset's settings. */
  private static Map<String, List<String>> options(JsonNode questions) {
    Map<String, List<String>> options = new TreeMap<>();
    if (!questions.isArray()) {
      return options;
    }
    for (JsonNode q : questions) {
      JsonNode list = q.path("settings").path("options");
      if (list.isArray()) {
        List<String> values = new ArrayList<>();
        list.forEach(o -> values.add(o.path("value").asText()));
        options.put(q.path("name").asText(), values);
      }
    }
    return options;
  }

  private static List<List<String>> ranks(JsonNode value, String path, JsonNode fields)
      throws BadPayload {
    TreeMap<Integer, List<String>> byRank = new TreeMap<>();
    for (int i = 0; i < value.size(); i++) {
      String at = path + "[" + i + "]";
      JsonNode item = value.get(i);
      String option = Json.text(item, "value", at);
      Double rank = Json.optionalNumber(item, "rank", at);
      if (rank == null) {
        throw new BadPayload(Json.at(at, "rank"), "missing");
      }
      byRank
          .computeIfAbsent(rank.intValue(), r -> new ArrayList<>())
          .add(option(option, fields, at));
    }
    return new ArrayList<>(byRank.values());
  }

  /** The largest option of each rating question in the dataset's settings. */
  private static Map<String, Double> ratingScales(JsonNode questions) {
    Map<String, Double> scales = new TreeMap<>();
    if (!questions.isArray()) {
      return scales;
    }
    for (JsonNode q : questions) {
      JsonNode options = q.path("settings").path("options");
      if (q.path("settings").path("type").asText().equals("rating") && options.isArray()) {
        double max = Double.NaN;
        for (JsonNode o : options) {
          max =
              Double.isNaN(max)
                  ? o.path("value").asDouble()
                  : Math.max(max, o.path("value").asDouble());
        }
        if (!Double.isNaN(max)) {
          scales.put(q.path("name").asText(), max);
        }
      }
    }
    return scales;
  }
}
