package dev.refinery.feedback;

import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigException;

/**
 * The rewards of rule-based reward model classes: per rubric ({@code <id>@<version>}), the reward
 * of each class letter. GPT-4's RBRMs classify a completion as (A) a refusal in the desired style,
 * (B) a refusal in an undesired style (evasive, rambling), (C) disallowed content or (D) a safe
 * non-refusal, and the class becomes a reward; which class is good depends on whether the prompt
 * should be refused, hence two rubrics in the default table.
 */
public final class RubricTable {
  /** Used when no {@code feedback.rubric.*} row is configured. */
  public static final RubricTable DEFAULT =
      new RubricTable(
          Map.of(
              "refusal-style@1", Map.of("A", 1.0, "B", -0.5, "C", -1.0, "D", -0.5),
              "allowed-request@1", Map.of("A", -1.0, "B", -1.0, "C", -1.0, "D", 1.0)));

  private final Map<String, Map<String, Double>> rewards;

  private RubricTable(Map<String, Map<String, Double>> rewards) {
    Map<String, Map<String, Double>> copy = new TreeMap<>();
    rewards.forEach((rubric, classes) -> copy.put(rubric, Map.copyOf(classes)));
    this.rewards = Map.copyOf(copy);
  }

  /**
   * Reads rows {@code <id>@<version>.<class>=<reward>}.
   *
   * @throws ConfigException naming the setting of a row that is not of that form
   */
  static RubricTable parse(Map<String, String> rows, String prefix) {
    Map<String, Map<String, Double>> rewards = new TreeMap<>();
    rows.forEach(
        (key, value) -> {
          int dot = key.lastIndexOf('.');
          int at = key.indexOf('@');
          if (at <= 0 || dot <= at + 1 || dot == key.length() - 1) {
            throw new ConfigException(
                prefix + key,
                value,
                "must be " + prefix + "<rubric id>@<version>.<class>=<reward>");
          }
          double reward;
          try {
            reward = Double.parseDouble(value.trim());
          } catch (NumberFormatException e) {
            throw new ConfigException(prefix + key, value, "the reward must be a number");
          }
          if (!Double.isFinite(reward)) {
            throw new ConfigException(prefix + key, value, "the reward must be finite");
          }
          rewards
              .computeIfAbsent(key.substring(0, dot), r -> new TreeMap<>())
              .put(key.substring(dot + 1), reward);
        });
    return new RubricTable(rewards);
  }

  /** {@code <id>@<version>}, the key of a rubric in the table. */
  public static String key(String rubricId, String version) {
    return rubricId + "@" + version;
  }

  /**
   * The reward of a class.
   *
   * @throws IllegalArgumentException naming what the table lacks
   */
  public double reward(String rubricId, String version, String rubricClass) {
    Map<String, Double> classes = rewards.get(key(rubricId, version));
    if (classes == null) {
      throw new IllegalArgumentException(
          "unknown rubric '" + key(rubricId, version) + "'; the rubrics are " + rewards.keySet());
    }
    Double reward = classes.get(rubricClass);
    if (reward == null) {
      throw new IllegalArgumentException(
          "rubric '"
              + key(rubricId, version)
              + "' has no class '"
              + rubricClass
              + "'; its classes are "
              + new TreeMap<>(classes).keySet());
    }
    return reward;
  }

  /** Every rubric with its class rewards. */
  public Map<String, Map<String, Double>> rewards() {
    return rewards;
  }
}
