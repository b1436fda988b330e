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
 * response.created} and {@code response.updated}; other events, and responses that are not {@code
 * submitted} (drafts, discarded), are acknowledged and ignored.
 *
 * <p>The response's {@code values} are read by shape: a ranking question ({@code [{value, rank}]},
 * equal ranks tied) is the preference; a label question named {@code preference}, {@code
 * preferred}, {@code chosen} or {@code better} is a pairwise choice (the option names a completion
 * by id or trailing number, {@code response-2}; {@code tie}, {@code equal} or {@code both} is a tie
 * of the sample's two completions); a number is a rating (its scale the question's largest option);
 * a list of strings is flags. The sample id is {@code record.metadata.<feedback.sample.field>},
 * else the record's {@code external_id}. The label id is {@code argilla:<response id>}, its
 * revision the response's {@code updated_at}.
 */
final class ArgillaWebhook {
  static final String TOOL = "argilla";
  private static final Set<String> PAIRWISE = Set.of("preference", "preferred", "chosen", "better");
  private static final Set<String> TIES = Set.of("tie", "equal", "both", "same");

  private ArgillaWebhook() {}

  static WebhookResult parse(JsonNode body, String sampleField) throws BadPayload {
    String type = Json.text(body, "type", "");
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
        ranking = ranks(value, at);
        kind = LabelKind.RANKING;
      } else if (value.isTextual()
          && PAIRWISE.contains(question.getKey().toLowerCase(Locale.ROOT))) {
        String choice = value.asText();
        if (TIES.contains(choice.toLowerCase(Locale.ROOT))) {
          ranking = List.of(List.of(LabelResolver.byPosition(1), LabelResolver.byPosition(2)));
        } else {
          String chosen = LabelResolver.idOrPosition(choice);
          ranking = List.of(List.of(chosen), List.of(LabelResolver.otherThan(chosen)));
        }
        kind = LabelKind.PAIRWISE;
      } else if (value.isNumber()) {
        ratings.add(
            Rating.newBuilder()
                .setCompletionId(null)
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

  private static List<List<String>> ranks(JsonNode value, String path) throws BadPayload {
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
          .add(LabelResolver.idOrPosition(option));
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
