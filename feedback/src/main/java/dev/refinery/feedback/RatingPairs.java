package dev.refinery.feedback;

import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.Rating;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigException;

/**
 * Whether per-completion ratings become reward-model pairs (UltraFeedback style: one response rated
 * 5, another 2), and from what gap: on by default with a gap of 1, off or another gap per project
 * ({@code feedback.ratings.project.<project>=off|<gap>}, the project being {@code
 * label-studio:<id>}, {@code argilla:<dataset>} or {@code native}).
 *
 * <p>A label with a ranking is paired by its ranking; its ratings are kept but make no pair. A
 * label of ratings only gives, for every two completions whose scores differ by the gap or more, a
 * pair of the higher over the lower, its margin the difference. The score of a completion is its
 * {@code overall} rating when the label has one, else its rating if the label rates one dimension,
 * else the mean of its ratings over the dimensions every rated completion has.
 */
record RatingPairs(Double defaultGap, Map<String, Double> gapOfProject) {
  static final String PAIRS = "feedback.ratings.pairs";
  static final String MIN_GAP = "feedback.ratings.min.gap";
  static final String PROJECT_PREFIX = "feedback.ratings.project.";

  /** On, with a gap of 1. */
  static final RatingPairs DEFAULT = new RatingPairs(1.0, Map.of());

  RatingPairs {
    gapOfProject = new HashMap<>(gapOfProject);
  }

  /**
   * From the settings: {@code feedback.ratings.pairs} (on|off), {@code feedback.ratings.min.gap},
   * and per-project overrides.
   *
   * @throws ConfigException naming a setting that is not off, on or a gap of 0 or more
   */
  static RatingPairs parse(boolean on, double minGap, Map<String, ?> values) {
    Map<String, Double> projects = new HashMap<>();
    values.forEach(
        (key, value) -> {
          if (key.startsWith(PROJECT_PREFIX)) {
            projects.put(key.substring(PROJECT_PREFIX.length()), gap(key, String.valueOf(value)));
          }
        });
    return new RatingPairs(on ? minGap : null, projects);
  }

  private static Double gap(String key, String value) {
    if (value.equalsIgnoreCase("off")) {
      return null;
    }
    try {
      double gap = Double.parseDouble(value);
      if (gap >= 0 && !Double.isNaN(gap) && !Double.isInfinite(gap)) {
        return gap;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new ConfigException(
        key, value, "must be off, or the smallest rating gap that makes a pair");
  }

  /** The project a label comes from: {@code label-studio:<id>}, {@code argilla:<dataset>}, ... */
  static String projectOf(PreferenceLabel label) {
    String id = label.getLabelId();
    if (id.startsWith(LabelStudioWebhook.TOOL + ":")) {
      String[] parts = id.split(":");
      return parts.length > 1 ? LabelStudioWebhook.TOOL + ":" + parts[1] : LabelStudioWebhook.TOOL;
    }
    if (id.startsWith(ArgillaWebhook.TOOL + ":") && label.getToolRef() != null) {
      String ref = label.getToolRef();
      if (ref.startsWith("dataset ")) {
        int end = ref.indexOf(" record ");
        return ArgillaWebhook.TOOL + ":" + ref.substring(8, end < 0 ? ref.length() : end);
      }
    }
    return label.getTool();
  }

  /**
   * The gap a label's ratings need to make a pair, or empty when its project's ratings make none.
   */
  OptionalDouble gapFor(PreferenceLabel label) {
    String project = projectOf(label);
    Double gap = gapOfProject.containsKey(project) ? gapOfProject.get(project) : defaultGap;
    return gap == null ? OptionalDouble.empty() : OptionalDouble.of(gap);
  }

  /** The score of each rated completion, in the order first rated (see the class comment). */
  static Map<String, Double> scores(List<Rating> ratings) {
    Map<String, Map<String, Double>> byCompletion = new LinkedHashMap<>();
    TreeSet<String> dimensions = new TreeSet<>();
    for (Rating r : ratings) {
      if (r.getCompletionId() != null) {
        byCompletion
            .computeIfAbsent(r.getCompletionId(), c -> new HashMap<>())
            .put(r.getDimension(), r.getValue());
        dimensions.add(r.getDimension());
      }
    }
    Map<String, Double> scores = new LinkedHashMap<>();
    if (dimensions.contains("overall")) {
      byCompletion.forEach(
          (c, d) -> {
            if (d.containsKey("overall")) {
              scores.put(c, d.get("overall"));
            }
          });
      return scores;
    }
    TreeSet<String> common = new TreeSet<>(dimensions);
    byCompletion.values().forEach(d -> common.retainAll(d.keySet()));
    if (common.isEmpty()) {
      // each completion rated on its own question (rating-response-1, rating-response-2): one each
      byCompletion.forEach(
          (c, d) -> {
            if (d.size() == 1) {
              scores.put(c, d.values().iterator().next());
            }
          });
      return scores;
    }
    byCompletion.forEach(
        (c, d) -> scores.put(c, common.stream().mapToDouble(d::get).average().orElseThrow()));
    return scores;
  }
}
