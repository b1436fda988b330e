package dev.refinery.feedback;

import dev.refinery.schemas.Completion;
import dev.refinery.schemas.PairOrigin;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.RbrmJudgement;
import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.Sample;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reward-model pairs from labels and RBRM judgements: pure functions, so the joiner's behaviour is
 * testable without Kafka.
 *
 * <ul>
 *   <li>A ranking of tiers T1 > T2 > ... gives, for every two tiers Ti above Tj, a pair (a, b) for
 *       each a of Ti and b of Tj: all C(K,2) pairs of K strictly ranked completions, as InstructGPT
 *       used them. Completions of one tier are tied and give no pair with each other; a label that
 *       ties everything gives none. The margin is the label's strength, null when it has none.
 *   <li>A label of ratings only gives, as {@link RatingPairs} says, a pair for every two
 *       completions whose scores differ by the project's gap or more, the higher chosen, the margin
 *       the difference.
 *   <li>RBRM judgements of one sample under one rubric give a pair for every two completions whose
 *       rewards differ, the higher chosen, the margin the difference.
 * </ul>
 *
 * A set with no pair still yields one record, with {@code set_size} 0: it retracts what an earlier
 * revision of the set held.
 */
final class PairMaker {
  private PairMaker() {}

  /** {@code label:<label id>} */
  static String labelSet(PreferenceLabel label) {
    return "label:" + label.getLabelId();
  }

  /** {@code rbrm:<sample id>:<rubric>@<version>} */
  static String rbrmSet(String sampleId, String rubricKey) {
    return "rbrm:" + sampleId + ":" + rubricKey;
  }

  /**
   * The pairs of a label.
   *
   * @throws IllegalArgumentException if the label names a completion the sample does not have
   */
  static List<RewardModelPair> human(Sample sample, PreferenceLabel label, Instant now) {
    return human(sample, label, RatingPairs.DEFAULT, now);
  }

  /**
   * The pairs of a label: of its ranking, else of its ratings as the policy says.
   *
   * @throws IllegalArgumentException if the label names a completion the sample does not have
   */
  static List<RewardModelPair> human(
      Sample sample, PreferenceLabel label, RatingPairs ratingPairs, Instant now) {
    Map<String, Completion> completions = completions(sample);
    List<String[]> ordered = new ArrayList<>();
    Map<String, Double> scores = Map.of();
    if (label.getDeleted()) {
      // a deleted label retracts its set
    } else if (label.getRanking().isEmpty()) {
      scores = RatingPairs.scores(label.getRatings());
      check(label, sample, completions, scores.keySet(), "rates");
      java.util.OptionalDouble gap = ratingPairs.gapFor(label);
      List<String> ids = new ArrayList<>(scores.keySet());
      for (int i = 0; gap.isPresent() && i < ids.size(); i++) {
        for (String other : ids) {
          double diff = scores.get(ids.get(i)) - scores.get(other);
          if (diff > 0 && diff >= gap.getAsDouble()) {
            ordered.add(new String[] {ids.get(i), other});
          }
        }
      }
    } else {
      List<List<String>> tiers = label.getRanking();
      tiers.forEach(tier -> check(label, sample, completions, tier, "ranks"));
      for (int i = 0; i < tiers.size(); i++) {
        for (int j = i + 1; j < tiers.size(); j++) {
          for (String a : tiers.get(i)) {
            for (String b : tiers.get(j)) {
              ordered.add(new String[] {a, b});
            }
          }
        }
      }
    }
    List<RewardModelPair> pairs = new ArrayList<>();
    String set = labelSet(label);
    for (String[] ab : ordered) {
      Double margin = label.getStrength();
      if (label.getRanking().isEmpty()) {
        margin = scores.get(ab[0]) - scores.get(ab[1]);
      }
      pairs.add(
          withLabel(
              pair(
                      sample,
                      set,
                      label.getRevision(),
                      ordered.size(),
                      completions.get(ab[0]),
                      completions.get(ab[1]),
                      now)
                  .setMargin(margin),
              label));
    }
    if (pairs.isEmpty()) {
      pairs.add(withLabel(retraction(sample, set, label.getRevision(), now), label));
    }
    return pairs;
  }

  private static RewardModelPair withLabel(RewardModelPair.Builder b, PreferenceLabel label) {
    return b.setOrigin(PairOrigin.HUMAN)
        .setLabeler(label.getLabeler())
        .setGold(label.getGold())
        .build();
  }

  /**
   * @throws IllegalArgumentException if the label names a completion the sample lacks
   */
  private static void check(
      PreferenceLabel label,
      Sample sample,
      Map<String, Completion> completions,
      java.util.Collection<String> ids,
      String verb) {
    for (String id : ids) {
      if (!completions.containsKey(id)) {
        throw new IllegalArgumentException(
            "label "
                + label.getLabelId()
                + " "
                + verb
                + " completion '"
                + id
                + "', which sample "
                + sample.getSampleId()
                + " does not have (its completions are "
                + completions.keySet()
                + ")");
      }
    }
  }

  /**
   * The pairs of one sample's judgements under one rubric.
   *
   * @throws IllegalArgumentException if the table lacks a judgement's rubric or class, or the
   *     sample lacks its completion
   */
  static List<RewardModelPair> rbrm(
      Sample sample,
      String rubricKey,
      List<RbrmJudgement> judgements,
      RubricTable rubrics,
      long revision,
      Instant now) {
    Map<String, Completion> completions = completions(sample);
    Map<String, Double> rewards = new HashMap<>();
    for (RbrmJudgement j : judgements) {
      if (!completions.containsKey(j.getCompletionId())) {
        throw new IllegalArgumentException(
            "judgement "
                + j.getJudgementId()
                + " is of completion '"
                + j.getCompletionId()
                + "', which sample "
                + sample.getSampleId()
                + " does not have (its completions are "
                + completions.keySet()
                + ")");
      }
      rewards.put(
          j.getCompletionId(),
          rubrics.reward(j.getRubricId(), j.getRubricVersion(), j.getRubricClass()));
    }
    List<String> byReward = new ArrayList<>(rewards.keySet());
    byReward.sort(
        Comparator.comparing((String id) -> -rewards.get(id))
            .thenComparing(Comparator.naturalOrder()));
    List<String[]> ordered = new ArrayList<>();
    for (int i = 0; i < byReward.size(); i++) {
      for (int k = i + 1; k < byReward.size(); k++) {
        if (rewards.get(byReward.get(i)) > rewards.get(byReward.get(k))) {
          ordered.add(new String[] {byReward.get(i), byReward.get(k)});
        }
      }
    }
    String set = rbrmSet(sample.getSampleId(), rubricKey);
    List<RewardModelPair> pairs = new ArrayList<>();
    for (String[] ab : ordered) {
      pairs.add(
          pair(
                  sample,
                  set,
                  revision,
                  ordered.size(),
                  completions.get(ab[0]),
                  completions.get(ab[1]),
                  now)
              .setMargin(rewards.get(ab[0]) - rewards.get(ab[1]))
              .setOrigin(PairOrigin.RBRM)
              .setRubric(rubricKey)
              .build());
    }
    if (pairs.isEmpty()) {
      pairs.add(
          retraction(sample, set, revision, now)
              .setOrigin(PairOrigin.RBRM)
              .setRubric(rubricKey)
              .build());
    }
    return pairs;
  }

  private static Map<String, Completion> completions(Sample sample) {
    Map<String, Completion> byId = new java.util.LinkedHashMap<>();
    sample.getCompletions().forEach(c -> byId.put(c.getCompletionId(), c));
    return byId;
  }

  private static RewardModelPair.Builder pair(
      Sample sample,
      String set,
      long revision,
      int size,
      Completion chosen,
      Completion rejected,
      Instant now) {
    return RewardModelPair.newBuilder()
        .setPairId(set + "/" + chosen.getCompletionId() + ">" + rejected.getCompletionId())
        .setSetId(set)
        .setSetRevision(revision)
        .setSetSize(size)
        .setGroupId(sample.getPromptId())
        .setPromptId(sample.getPromptId())
        .setSampleId(sample.getSampleId())
        .setPrompt(sample.getPrompt())
        .setChosen(chosen.getText())
        .setRejected(rejected.getText())
        .setChosenCompletionId(chosen.getCompletionId())
        .setRejectedCompletionId(rejected.getCompletionId())
        .setChosenModel(chosen.getModel())
        .setRejectedModel(rejected.getModel())
        .setCreatedAt(now);
  }

  private static RewardModelPair.Builder retraction(
      Sample sample, String set, long revision, Instant now) {
    return RewardModelPair.newBuilder()
        .setPairId(set + "/")
        .setSetId(set)
        .setSetRevision(revision)
        .setSetSize(0)
        .setGroupId(sample.getPromptId())
        .setPromptId(sample.getPromptId())
        .setSampleId(sample.getSampleId())
        .setPrompt(sample.getPrompt())
        .setChosen("")
        .setRejected("")
        .setChosenCompletionId("")
        .setRejectedCompletionId("")
        .setMargin(null)
        .setCreatedAt(now);
  }
}
