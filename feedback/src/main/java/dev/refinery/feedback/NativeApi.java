package dev.refinery.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refinery.schemas.Completion;
import dev.refinery.schemas.Flag;
import dev.refinery.schemas.LabelKind;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.Rating;
import dev.refinery.schemas.RbrmJudgement;
import dev.refinery.schemas.Sample;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gateway's own JSON: samples, labels and RBRM judgements, one object or an array of them.
 * Field names follow the Avro schemas; see the README for examples.
 */
final class NativeApi {
  static final String TOOL = "native";

  private NativeApi() {}

  /** The elements of a body: the object itself, or each element of an array, with their paths. */
  static List<Map.Entry<String, JsonNode>> elements(JsonNode body) throws BadPayload {
    List<Map.Entry<String, JsonNode>> elements = new ArrayList<>();
    if (body.isArray()) {
      if (body.isEmpty()) {
        throw new BadPayload(400, null, "empty array");
      }
      for (int i = 0; i < body.size(); i++) {
        if (!body.get(i).isObject()) {
          throw new BadPayload("[" + i + "]", "must be an object");
        }
        elements.add(Map.entry("[" + i + "]", body.get(i)));
      }
    } else if (body.isObject()) {
      elements.add(Map.entry("", body));
    } else {
      throw new BadPayload(400, null, "send a JSON object or an array of objects");
    }
    return elements;
  }

  static Sample sample(JsonNode node, String path, Instant now) throws BadPayload {
    String prompt = Json.text(node, "prompt", path);
    String promptId = Json.optionalText(node, "prompt_id", path);
    JsonNode completions = Json.array(node, "completions", path);
    if (completions.size() < 1) {
      throw new BadPayload(Json.at(path, "completions"), "a sample needs a completion or more");
    }
    List<Completion> list = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < completions.size(); i++) {
      String at = Json.at(path, "completions[" + i + "]");
      JsonNode c = completions.get(i);
      if (!c.isObject()) {
        throw new BadPayload(at, "must be an object");
      }
      String id = Json.optionalText(c, "completion_id", at);
      id = id == null ? "c" + (i + 1) : id;
      if (!ids.add(id)) {
        throw new BadPayload(Json.at(at, "completion_id"), "'" + id + "' is used twice");
      }
      list.add(
          Completion.newBuilder()
              .setCompletionId(id)
              .setText(Json.text(c, "text", at))
              .setModel(Json.text(c, "model", at))
              .setModelVersion(Json.optionalText(c, "model_version", at))
              .build());
    }
    Map<String, String> attributes = new HashMap<>();
    JsonNode attrs = node.get("attributes");
    if (attrs != null && !attrs.isNull()) {
      if (!attrs.isObject()) {
        throw new BadPayload(Json.at(path, "attributes"), "must be an object of strings");
      }
      var fields = attrs.fields();
      while (fields.hasNext()) {
        var f = fields.next();
        attributes.put(
            f.getKey(), f.getValue().isTextual() ? f.getValue().asText() : f.getValue().toString());
      }
    }
    Instant created = Json.optionalTime(node, "created_at", path);
    return Sample.newBuilder()
        .setSampleId(Json.text(node, "sample_id", path))
        .setPromptId(promptId == null ? promptId(prompt) : promptId)
        .setPrompt(prompt)
        .setCompletions(list)
        .setPolicyRun(Json.optionalText(node, "policy_run", path))
        .setCreatedAt(created == null ? now : created)
        .setAttributes(attributes)
        .build();
  }

  /** {@code p_} and 24 hex digits of SHA-256 of the prompt: the same prompt, the same group. */
  static String promptId(String prompt) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(prompt.getBytes(StandardCharsets.UTF_8));
      return "p_" + java.util.HexFormat.of().formatHex(digest, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /**
   * A label: {@code chosen} and {@code rejected} (with {@code tie: true} for a tie), or {@code
   * ranking} (tiers, or a flat list best first), and optional {@code strength}, {@code ratings},
   * {@code flags}. The labeler is the tool's user id, pseudonymized later.
   */
  static PreferenceLabel label(JsonNode node, String path, Instant now) throws BadPayload {
    PreferenceLabel.Builder label =
        PreferenceLabel.newBuilder()
            .setLabelId(TOOL + ":" + Json.text(node, "label_id", path))
            .setSampleId(Json.text(node, "sample_id", path))
            .setLabeler(Json.text(node, "labeler", path))
            .setTool(TOOL)
            .setToolRef(Json.optionalText(node, "tool_ref", path))
            .setGold(Json.flag(node, "gold", path))
            .setStrength(Json.optionalNumber(node, "strength", path));
    Instant labeledAt = Json.optionalTime(node, "labeled_at", path);
    labeledAt = labeledAt == null ? now : labeledAt;
    label.setLabeledAt(labeledAt);
    Double revision = Json.optionalNumber(node, "revision", path);
    label.setRevision(revision == null ? labeledAt.toEpochMilli() : revision.longValue());
    Double spent = Json.optionalNumber(node, "time_spent_ms", path);
    label.setTimeSpentMs(spent == null ? null : spent.longValue());

    String chosen = Json.optionalText(node, "chosen", path);
    String rejected = Json.optionalText(node, "rejected", path);
    JsonNode ranking = node.get("ranking");
    if (chosen != null || rejected != null) {
      if (chosen == null || rejected == null) {
        throw new BadPayload(
            Json.at(path, chosen == null ? "chosen" : "rejected"),
            "missing: a pairwise label names both chosen and rejected");
      }
      if (ranking != null) {
        throw new BadPayload(
            Json.at(path, "ranking"), "send chosen/rejected or a ranking, not both");
      }
      boolean tie = Json.flag(node, "tie", path);
      label.setKind(LabelKind.PAIRWISE);
      label.setRanking(
          tie
              ? List.of(List.of(LabelResolver.byId(chosen), LabelResolver.byId(rejected)))
              : List.of(
                  List.of(LabelResolver.byId(chosen)), List.of(LabelResolver.byId(rejected))));
    } else if (ranking != null && !ranking.isNull()) {
      label.setKind(LabelKind.RANKING);
      label.setRanking(tiers(ranking, Json.at(path, "ranking")));
    } else {
      label.setKind(LabelKind.RATING);
      label.setRanking(List.of());
    }
    label.setRatings(ratings(node.get("ratings"), Json.at(path, "ratings")));
    label.setFlags(flags(node.get("flags"), Json.at(path, "flags")));
    return label.build();
  }

  private static List<List<String>> tiers(JsonNode ranking, String path) throws BadPayload {
    if (!ranking.isArray() || ranking.size() < 1) {
      throw new BadPayload(
          path, "must be a list, best first, of completion ids or of lists of tied ids");
    }
    List<List<String>> tiers = new ArrayList<>();
    for (int t = 0; t < ranking.size(); t++) {
      JsonNode tier = ranking.get(t);
      List<String> ids = new ArrayList<>();
      if (tier.isTextual()) {
        ids.add(LabelResolver.byId(tier.asText()));
      } else if (tier.isArray() && !tier.isEmpty()) {
        for (int i = 0; i < tier.size(); i++) {
          if (!tier.get(i).isTextual()) {
            throw new BadPayload(path + "[" + t + "][" + i + "]", "must be a completion id");
          }
          ids.add(LabelResolver.byId(tier.get(i).asText()));
        }
      } else {
        throw new BadPayload(path + "[" + t + "]", "must be a completion id or a list of tied ids");
      }
      tiers.add(ids);
    }
    return tiers;
  }

  private static List<Rating> ratings(JsonNode node, String path) throws BadPayload {
    List<Rating> ratings = new ArrayList<>();
    if (node == null || node.isNull()) {
      return ratings;
    }
    if (!node.isArray()) {
      throw new BadPayload(path, "must be an array");
    }
    for (int i = 0; i < node.size(); i++) {
      String at = path + "[" + i + "]";
      JsonNode r = node.get(i);
      if (!r.isObject()) {
        throw new BadPayload(at, "must be an object");
      }
      Double value = Json.optionalNumber(r, "value", at);
      if (value == null) {
        throw new BadPayload(Json.at(at, "value"), "missing");
      }
      String completion = Json.optionalText(r, "completion_id", at);
      String dimension = Json.optionalText(r, "dimension", at);
      ratings.add(
          Rating.newBuilder()
              .setCompletionId(completion == null ? null : LabelResolver.byId(completion))
              .setDimension(dimension == null ? "overall" : dimension)
              .setValue(value)
              .setScaleMax(Json.optionalNumber(r, "scale_max", at))
              .build());
    }
    return ratings;
  }

  private static List<Flag> flags(JsonNode node, String path) throws BadPayload {
    List<Flag> flags = new ArrayList<>();
    if (node == null || node.isNull()) {
      return flags;
    }
    if (!node.isArray()) {
      throw new BadPayload(path, "must be an array");
    }
    for (int i = 0; i < node.size(); i++) {
      String at = path + "[" + i + "]";
      JsonNode f = node.get(i);
      if (f.isTextual()) {
        flags.add(Flag.newBuilder().setCompletionId(null).setFlag(f.asText()).build());
        continue;
      }
      if (!f.isObject()) {
        throw new BadPayload(at, "must be a flag name or an object");
      }
      String completion = Json.optionalText(f, "completion_id", at);
      flags.add(
          Flag.newBuilder()
              .setCompletionId(completion == null ? null : LabelResolver.byId(completion))
              .setFlag(Json.text(f, "flag", at))
              .build());
    }
    return flags;
  }

  /**
   * An RBRM judgement: {@code sample_id, completion_id, rubric_id, rubric_version, class, judge}
   * and optional {@code rationale, judged_at, revision}. Its reward comes from the rubric table.
   */
  static RbrmJudgement judgement(JsonNode node, String path, RubricTable rubrics, Instant now)
      throws BadPayload {
    String sample = Json.text(node, "sample_id", path);
    String completion = Json.text(node, "completion_id", path);
    String rubric = Json.text(node, "rubric_id", path);
    String version = Json.text(node, "rubric_version", path);
    String rubricClass = Json.text(node, "class", path);
    double reward;
    try {
      reward = rubrics.reward(rubric, version, rubricClass);
    } catch (IllegalArgumentException e) {
      throw new BadPayload(
          Json.at(path, e.getMessage().startsWith("unknown rubric") ? "rubric_id" : "class"),
          e.getMessage());
    }
    Instant judgedAt = Json.optionalTime(node, "judged_at", path);
    judgedAt = judgedAt == null ? now : judgedAt;
    Double revision = Json.optionalNumber(node, "revision", path);
    return RbrmJudgement.newBuilder()
        .setJudgementId(
            "rbrm:" + sample + ":" + completion + ":" + RubricTable.key(rubric, version))
        .setRevision(revision == null ? judgedAt.toEpochMilli() : revision.longValue())
        .setSampleId(sample)
        .setCompletionId(completion)
        .setRubricId(rubric)
        .setRubricVersion(version)
        .setRubricClass(rubricClass)
        .setReward(reward)
        .setJudge(Json.text(node, "judge", path))
        .setRationale(Json.optionalText(node, "rationale", path))
        .setJudgedAt(judgedAt)
        .build();
  }
}
