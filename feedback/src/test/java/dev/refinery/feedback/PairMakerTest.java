package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.schemas.LabelKind;
import dev.refinery.schemas.PairOrigin;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.RbrmJudgement;
import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.Sample;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairMakerTest {
  private static final Instant NOW = Instant.parse("2026-11-21T00:00:00Z");
  private final Sample sample = Fixtures.sample("s1", "p1", "a", "b", "c", "d");

  static PreferenceLabel label(
      String id, String labeler, boolean gold, List<List<String>> ranking) {
    return PreferenceLabel.newBuilder()
        .setLabelId(id)
        .setRevision(1)
        .setSampleId("s1")
        .setKind(LabelKind.RANKING)
        .setRanking(ranking)
        .setStrength(null)
        .setLabeler(labeler)
        .setTimeSpentMs(null)
        .setTool("native")
        .setToolRef(null)
        .setGold(gold)
        .setLabeledAt(NOW)
        .build();
  }

  @Test
  void aStrictRankingOfKGivesAllKChoose2Pairs() {
    List<RewardModelPair> pairs =
        PairMaker.human(
            sample,
            label("l", "x", false, List.of(List.of("c"), List.of("a"), List.of("d"), List.of("b"))),
            NOW);
    assertThat(pairs).hasSize(6);
    assertThat(pairs)
        .extracting(p -> p.getChosenCompletionId() + ">" + p.getRejectedCompletionId())
        .containsExactly("c>a", "c>d", "c>b", "a>d", "a>b", "d>b");
    assertThat(pairs)
        .allSatisfy(
            p -> {
              assertThat(p.getSetSize()).isEqualTo(6);
              assertThat(p.getGroupId()).isEqualTo("p1");
              assertThat(p.getPrompt()).isEqualTo("prompt of p1");
              assertThat(p.getOrigin()).isEqualTo(PairOrigin.HUMAN);
              assertThat(p.getMargin()).isNull();
            });
    assertThat(pairs.get(0).getChosen()).isEqualTo("text of c");
    assertThat(pairs.get(0).getRejected()).isEqualTo("text of a");
  }

  @Test
  void tiedCompletionsGiveNoPairWithEachOther() {
    List<RewardModelPair> pairs =
        PairMaker.human(
            sample,
            label("l", "x", false, List.of(List.of("a"), List.of("b", "c"), List.of("d"))),
            NOW);
    assertThat(pairs)
        .extracting(p -> p.getChosenCompletionId() + ">" + p.getRejectedCompletionId())
        .containsExactly("a>b", "a>c", "a>d", "b>d", "c>d");
  }

  @Test
  void aFullTieIsARetractionMarker() {
    List<RewardModelPair> pairs =
        PairMaker.human(sample, label("l", "x", false, List.of(List.of("a", "b"))), NOW);
    assertThat(pairs)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getSetSize()).isZero();
              assertThat(p.getSetId()).isEqualTo("label:l");
            });
  }

  @Test
  void strengthIsTheMargin() {
    PreferenceLabel l =
        PreferenceLabel.newBuilder(label("l", "x", false, List.of(List.of("b"), List.of("a"))))
            .setStrength(3.0)
            .build();
    assertThat(PairMaker.human(sample, l, NOW))
        .singleElement()
        .satisfies(p -> assertThat(p.getMargin()).isEqualTo(3.0));
  }

  @Test
  void aCompletionTheSampleLacksIsAnError() {
    assertThatThrownBy(
            () ->
                PairMaker.human(
                    sample, label("l", "x", false, List.of(List.of("a"), List.of("z"))), NOW))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'z'");
  }

  static RbrmJudgement judgement(String completion, String rubricClass) {
    return RbrmJudgement.newBuilder()
        .setJudgementId("j-" + completion)
        .setRevision(1)
        .setSampleId("s1")
        .setCompletionId(completion)
        .setRubricId("refusal-style")
        .setRubricVersion("1")
        .setRubricClass(rubricClass)
        .setReward(null)
        .setJudge("rbrm")
        .setRationale(null)
        .setJudgedAt(NOW)
        .build();
  }

  @Test
  void rbrmRewardsComeFromTheTableAndOrderThePairs() {
    // refusal-style@1: A 1.0, B -0.5, C -1.0, D -0.5
    List<RewardModelPair> pairs =
        PairMaker.rbrm(
            sample,
            "refusal-style@1",
            List.of(
                judgement("a", "C"), judgement("b", "A"), judgement("c", "B"), judgement("d", "D")),
            RubricTable.DEFAULT,
            7,
            NOW);
    assertThat(pairs)
        .extracting(
            p ->
                p.getChosenCompletionId() + ">" + p.getRejectedCompletionId() + " " + p.getMargin())
        .containsExactly("b>c 1.5", "b>d 1.5", "b>a 2.0", "c>a 0.5", "d>a 0.5");
    assertThat(pairs)
        .allSatisfy(
            p -> {
              assertThat(p.getOrigin()).isEqualTo(PairOrigin.RBRM);
              assertThat(p.getSetRevision()).isEqualTo(7);
              assertThat(p.getRubric()).isEqualTo("refusal-style@1");
            });
  }

  @Test
  void agreementCountsPeersAndGold() {
    PreferenceLabel x = label("lx", "x", false, List.of(List.of("a"), List.of("b"), List.of("c")));
    PreferenceLabel y = label("ly", "y", false, List.of(List.of("a"), List.of("c"), List.of("b")));
    PreferenceLabel gold =
        label("lg", "g", true, List.of(List.of("a"), List.of("b"), List.of("c")));
    var counts = Agreement.of(List.of(x, y, gold));
    // x vs y: pairs ab ac bc, agree on ab and ac
    assertThat(counts.get("x")).isEqualTo(new Agreement.Counts(1, 3, 2, 3, 3));
    assertThat(counts.get("y")).isEqualTo(new Agreement.Counts(1, 3, 2, 3, 2));
    assertThat(counts.get("g")).isEqualTo(new Agreement.Counts(1, 0, 0, 0, 0));

    var before = Agreement.of(List.of(x, gold));
    var delta = Agreement.delta(before, counts);
    assertThat(delta.get("x")).isEqualTo(new Agreement.Counts(0, 3, 2, 0, 0));
    assertThat(delta.get("y")).isEqualTo(new Agreement.Counts(1, 3, 2, 3, 2));
    assertThat(delta).doesNotContainKey("g");
  }

  private static PreferenceLabel rated(String labelId, String toolRef, double... scores) {
    List<dev.refinery.schemas.Rating> ratings = new java.util.ArrayList<>();
    String[] ids = {"a", "b", "c", "d"};
    for (int i = 0; i < scores.length; i++) {
      ratings.add(
          dev.refinery.schemas.Rating.newBuilder()
              .setCompletionId(ids[i])
              .setDimension("rating-response-" + (i + 1))
              .setValue(scores[i])
              .setScaleMax(5.0)
              .build());
    }
    return PreferenceLabel.newBuilder(label(labelId, "x", false, List.of()))
        .setKind(LabelKind.RATING)
        .setRatings(ratings)
        .setTool(labelId.substring(0, labelId.indexOf(':')))
        .setToolRef(toolRef)
        .build();
  }

  @Test
  void ratingsOfCompletionsBecomePairsWhereTheyDifferByTheGapTheMarginTheDifference() {
    // UltraFeedback style: a rated 5, b 2, c 5, d 4
    List<RewardModelPair> pairs =
        PairMaker.human(sample, rated("argilla:r-1", "dataset uf record 1", 5, 2, 5, 4), NOW);
    assertThat(pairs)
        .extracting(
            p ->
                p.getChosenCompletionId() + ">" + p.getRejectedCompletionId() + " " + p.getMargin())
        .containsExactlyInAnyOrder("a>b 3.0", "a>d 1.0", "c>b 3.0", "c>d 1.0", "d>b 2.0");
    assertThat(pairs).allSatisfy(p -> assertThat(p.getSetSize()).isEqualTo(5));

    // a gap of 2 for that dataset; ratings off for a Label Studio project
    RatingPairs policy =
        RatingPairs.parse(
            true,
            1.0,
            java.util.Map.of(
                "feedback.ratings.project.argilla:uf", "2",
                "feedback.ratings.project.label-studio:7", "off"));
    assertThat(
            PairMaker.human(
                sample, rated("argilla:r-1", "dataset uf record 1", 5, 2, 5, 4), policy, NOW))
        .extracting(p -> p.getChosenCompletionId() + ">" + p.getRejectedCompletionId())
        .containsExactlyInAnyOrder("a>b", "c>b", "d>b");
    List<RewardModelPair> off =
        PairMaker.human(sample, rated("label-studio:7:3", "project 7", 5, 1), policy, NOW);
    assertThat(off).singleElement().satisfies(p -> assertThat(p.getSetSize()).isZero());
    assertThatThrownBy(
            () ->
                RatingPairs.parse(
                    true, 1.0, java.util.Map.of("feedback.ratings.project.native", "sometimes")))
        .isInstanceOf(org.apache.kafka.common.config.ConfigException.class)
        .hasMessageContaining("feedback.ratings.project.native");
  }

  @Test
  void anOverallRatingIsTheScoreWhenThereIsOne() {
    List<dev.refinery.schemas.Rating> ratings = new java.util.ArrayList<>();
    for (String[] r :
        new String[][] {
          {"a", "overall", "2"}, {"a", "honesty", "5"}, {"b", "overall", "4"}, {"b", "honesty", "1"}
        }) {
      ratings.add(
          dev.refinery.schemas.Rating.newBuilder()
              .setCompletionId(r[0])
              .setDimension(r[1])
              .setValue(Double.parseDouble(r[2]))
              .setScaleMax(5.0)
              .build());
    }
    PreferenceLabel label =
        PreferenceLabel.newBuilder(label("native:9", "x", false, List.of()))
            .setRatings(ratings)
            .build();
    assertThat(PairMaker.human(sample, label, NOW))
        .extracting(p -> p.getChosenCompletionId() + ">" + p.getRejectedCompletionId())
        .containsExactly("b>a");
  }
}
