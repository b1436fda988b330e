package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.runtime.pairs.RewardPairs;
import dev.refinery.schemas.LabelKind;
import dev.refinery.schemas.LabelerStats;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.RbrmJudgement;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.Sample;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeedbackTopologyTest {
  private static final Instant T = Instant.parse("2026-11-21T10:00:00Z");

  @TempDir Path state;
  TopologyTestDriver driver;
  TestInputTopic<String, byte[]> samples;
  TestInputTopic<String, byte[]> labels;
  TestInputTopic<String, byte[]> judgements;
  TestOutputTopic<String, RewardModelPair> pairs;
  TestOutputTopic<String, LabelerStats> stats;
  TestOutputTopic<String, RejectedDocument> rejected;

  @BeforeEach
  void start() {
    Properties props = FeedbackService.streamsConfig(config(state));
    driver =
        new TopologyTestDriver(
            FeedbackTopology.build(
                RubricTable.DEFAULT, new FeedbackMetrics(new SimpleMeterRegistry())),
            props);
    samples =
        driver.createInputTopic(
            Topics.FEEDBACK_SAMPLES.name(), new StringSerializer(), new ByteArraySerializer());
    labels =
        driver.createInputTopic(
            Topics.FEEDBACK_PREFERENCES.name(), new StringSerializer(), new ByteArraySerializer());
    judgements =
        driver.createInputTopic(
            Topics.FEEDBACK_RBRM.name(), new StringSerializer(), new ByteArraySerializer());
    pairs =
        driver.createOutputTopic(
            Topics.FEEDBACK_RM_PAIRS.name(),
            new StringDeserializer(),
            Topics.FEEDBACK_RM_PAIRS.valueSerde().deserializer());
    stats =
        driver.createOutputTopic(
            Topics.FEEDBACK_LABELER_STATS.name(),
            new StringDeserializer(),
            Topics.FEEDBACK_LABELER_STATS.valueSerde().deserializer());
    rejected =
        driver.createOutputTopic(
            Topics.CORPUS_REJECTED.name(),
            new StringDeserializer(),
            Topics.CORPUS_REJECTED.valueSerde().deserializer());
  }

  /** The joiner's settings for a driver, its state in {@code state}. */
  static FeedbackConfig config(Path state) {
    return new FeedbackConfig(
        Map.of(
            FeedbackConfig.STATE_DIR,
            state.toString(),
            FeedbackConfig.PSEUDONYM_KEY,
            "0123456789abcdef"));
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private void sample(Sample s) {
    samples.pipeInput(s.getSampleId(), Topics.FEEDBACK_SAMPLES.serialize(s), T);
  }

  private void label(PreferenceLabel l) {
    labels.pipeInput(l.getSampleId(), Topics.FEEDBACK_PREFERENCES.serialize(l), T);
  }

  static PreferenceLabel label(
      String id, long revision, String sample, String labeler, List<List<String>> ranking) {
    return PreferenceLabel.newBuilder(PairMakerTest.label(id, labeler, false, ranking))
        .setRevision(revision)
        .setSampleId(sample)
        .setKind(LabelKind.RANKING)
        .build();
  }

  /** The current pairs after reading the topic the way the export does. */
  private List<String> current(List<RewardModelPair> records) {
    RewardPairs export = new RewardPairs();
    records.forEach(export::add);
    List<String> out = new ArrayList<>();
    export
        .current(Set.of(dev.refinery.schemas.PairOrigin.values()))
        .forEach(
            p ->
                out.add(
                    p.getSetId()
                        + " "
                        + p.getChosenCompletionId()
                        + ">"
                        + p.getRejectedCompletionId()));
    return out;
  }

  @Test
  void aLabelBecomesPairsKeyedByPrompt() {
    sample(Fixtures.sample("s1", "p1", "a", "b", "c"));
    label(label("l1", 1, "s1", "x", List.of(List.of("b"), List.of("a"), List.of("c"))));
    var out = pairs.readKeyValuesToList();
    assertThat(out).hasSize(3).allSatisfy(kv -> assertThat(kv.key).isEqualTo("p1"));
    assertThat(current(out.stream().map(kv -> kv.value).toList()))
        .containsExactlyInAnyOrder("label:l1 b>a", "label:l1 b>c", "label:l1 a>c");
  }

  @Test
  void aReplayChangesNothingAndAnUpdateSupersedes() {
    sample(Fixtures.sample("s1", "p1", "a", "b"));
    label(label("l1", 5, "s1", "x", List.of(List.of("a"), List.of("b"))));
    label(label("l1", 5, "s1", "x", List.of(List.of("a"), List.of("b"))));
    label(label("l1", 4, "s1", "x", List.of(List.of("b"), List.of("a"))));
    List<RewardModelPair> all = new ArrayList<>(pairs.readValuesToList());
    assertThat(all).hasSize(1);
    label(label("l1", 6, "s1", "x", List.of(List.of("b"), List.of("a"))));
    all.addAll(pairs.readValuesToList());
    assertThat(current(all)).containsExactly("label:l1 b>a");
    // an update to a tie retracts the label's pairs
    label(label("l1", 7, "s1", "x", List.of(List.of("a", "b"))));
    all.addAll(pairs.readValuesToList());
    assertThat(current(all)).isEmpty();
  }

  @Test
  void aLabelBeforeItsSampleWaitsForIt() {
    label(label("l1", 1, "s9", "x", List.of(List.of("a"), List.of("b"))));
    assertThat(pairs.isEmpty()).isTrue();
    sample(Fixtures.sample("s9", "p9", "a", "b"));
    assertThat(pairs.readValuesToList())
        .singleElement()
        .satisfies(p -> assertThat(p.getPairId()).isEqualTo("label:l1/a>b"));
    sample(Fixtures.sample("s9", "p9", "a", "b"));
    assertThat(pairs.isEmpty()).as("a sample delivered twice pairs nothing again").isTrue();
  }

  @Test
  void rbrmJudgementsOfASampleArePairedByReward() {
    sample(Fixtures.sample("s1", "p1", "a", "b"));
    judgements.pipeInput(
        "s1", Topics.FEEDBACK_RBRM.serialize(PairMakerTest.judgement("a", "B")), T);
    List<RewardModelPair> all = new ArrayList<>(pairs.readValuesToList());
    assertThat(current(all)).as("one judged completion pairs with nothing yet").isEmpty();
    judgements.pipeInput(
        "s1", Topics.FEEDBACK_RBRM.serialize(PairMakerTest.judgement("b", "A")), T);
    all.addAll(pairs.readValuesToList());
    assertThat(current(all)).containsExactly("rbrm:s1:refusal-style@1 b>a");
    // the judge changes its mind about b: C now, below a's B
    RbrmJudgement again =
        RbrmJudgement.newBuilder(PairMakerTest.judgement("b", "C")).setRevision(2).build();
    judgements.pipeInput("s1", Topics.FEEDBACK_RBRM.serialize(again), T);
    all.addAll(pairs.readValuesToList());
    assertThat(current(all)).containsExactly("rbrm:s1:refusal-style@1 a>b");
  }

  @Test
  void agreementReachesTheStatsTopic() {
    sample(Fixtures.sample("s1", "p1", "a", "b", "c"));
    label(label("lx", 1, "s1", "x", List.of(List.of("a"), List.of("b"), List.of("c"))));
    label(label("ly", 1, "s1", "y", List.of(List.of("a"), List.of("c"), List.of("b"))));
    PreferenceLabel gold =
        PreferenceLabel.newBuilder(
                label("lg", 1, "s1", "g", List.of(List.of("a"), List.of("b"), List.of("c"))))
            .setGold(true)
            .build();
    label(gold);
    Map<String, LabelerStats> latest = stats.readKeyValuesToMap();
    assertThat(latest.get("x").getPeerPairs()).isEqualTo(3);
    assertThat(latest.get("x").getPeerAgreed()).isEqualTo(2);
    assertThat(latest.get("x").getGoldAgreed()).isEqualTo(3);
    assertThat(latest.get("y").getGoldPairs()).isEqualTo(3);
    assertThat(latest.get("y").getGoldAgreed()).isEqualTo(2);
    assertThat(latest.get("y").getLabels()).isEqualTo(1);
    // y corrects the label: now agrees with x and gold everywhere
    label(label("ly", 2, "s1", "y", List.of(List.of("a"), List.of("b"), List.of("c"))));
    latest = stats.readKeyValuesToMap();
    assertThat(latest.get("y").getGoldAgreed()).isEqualTo(3);
    assertThat(latest.get("y").getPeerAgreed()).isEqualTo(3);
    assertThat(latest.get("y").getLabels()).isEqualTo(1);
    assertThat(latest.get("x").getPeerAgreed()).isEqualTo(3);
  }

  @Test
  void garbageAndUnknownCompletionsAreRejectedWithReasons() {
    labels.pipeInput("s1", new byte[] {1, 2, 3}, T);
    sample(Fixtures.sample("s1", "p1", "a", "b"));
    label(label("l1", 1, "s1", "x", List.of(List.of("a"), List.of("zz"))));
    RbrmJudgement unknownClass = PairMakerTest.judgement("a", "Q");
    judgements.pipeInput("s1", Topics.FEEDBACK_RBRM.serialize(unknownClass), T);
    List<RejectedDocument> out = rejected.readValuesToList();
    assertThat(out)
        .extracting(RejectedDocument::getReason)
        .containsExactly("UNDECODABLE", "UNKNOWN_COMPLETION", "UNKNOWN_RUBRIC_CLASS");
    assertThat(out)
        .allSatisfy(
            r -> {
              assertThat(r.getStage()).isEqualTo(Stage.FEEDBACK);
              assertThat(r.getDocId()).isEqualTo("s1");
              assertThat(r.getLocation()).startsWith("feedback.");
            });
    assertThat(out.get(1).getDetail()).contains("'zz'");
    assertThat(pairs.isEmpty()).isTrue();
    // the stage goes on
    label(label("l2", 1, "s1", "x", List.of(List.of("b"), List.of("a"))));
    assertThat(pairs.readValuesToList()).hasSize(1);
  }

  /**
   * What the label index wrote back to feedback.preferences.v1, delivered to the joiner as the
   * broker would (the test driver does not read its own output topics).
   */
  private void indexedDeletions() {
    TestOutputTopic<String, PreferenceLabel> out =
        driver.createOutputTopic(
            Topics.FEEDBACK_PREFERENCES.name(),
            new StringDeserializer(),
            Topics.FEEDBACK_PREFERENCES.valueSerde().deserializer());
    for (var r : out.readKeyValuesToList()) {
      assertThat(r.value.getDeleted()).isTrue();
      assertThat(r.key).isEqualTo(r.value.getSampleId()).isNotEmpty();
      label(r.value);
    }
  }

  private void deleted(String labelId, long revision) {
    driver
        .createInputTopic(
            Topics.FEEDBACK_LABEL_DELETIONS.name(),
            new StringSerializer(),
            new ByteArraySerializer())
        .pipeInput(
            labelId,
            Topics.FEEDBACK_LABEL_DELETIONS.serialize(
                PreferenceLabel.newBuilder(
                        WebhookResult.deletion(
                            labelId, "label-studio", "deleted", Instant.ofEpochMilli(revision)))
                    .build()),
            T);
    indexedDeletions();
  }

  @Test
  void aDeletionByLabelIdAloneRetractsExactlyThatLabelsPairs() {
    sample(Fixtures.sample("s1", "p1", "a", "b", "c"));
    label(label("label-studio:2:17", 10, "s1", "ann", List.of(List.of("a"), List.of("b"))));
    label(label("label-studio:2:18", 10, "s1", "bob", List.of(List.of("c"), List.of("a"))));
    List<RewardModelPair> all = new ArrayList<>(pairs.readValuesToList());
    assertThat(current(all)).hasSize(2);

    deleted("label-studio:2:17", 20);
    all.addAll(pairs.readValuesToList());
    assertThat(current(all)).containsExactly("label:label-studio:2:18 c>a");

    // the annotation delivered again, as it was before the deletion: nothing comes back
    label(label("label-studio:2:17", 10, "s1", "ann", List.of(List.of("a"), List.of("b"))));
    deleted("label-studio:2:17", 20);
    all.addAll(pairs.readValuesToList());
    assertThat(current(all)).containsExactly("label:label-studio:2:18 c>a");
  }

  @Test
  void aDeletionThatComesBeforeItsLabelWaitsForIt() {
    sample(Fixtures.sample("s2", "p2", "a", "b"));
    deleted("label-studio:3:5", 50);
    label(label("label-studio:3:5", 40, "s2", "ann", List.of(List.of("a"), List.of("b"))));
    indexedDeletions();
    List<RewardModelPair> all = pairs.readValuesToList();
    assertThat(current(all)).isEmpty();
    // an edit made after the deletion (a later revision) is a label again
    label(label("label-studio:3:5", 60, "s2", "ann", List.of(List.of("b"), List.of("a"))));
    all = new ArrayList<>(all);
    all.addAll(pairs.readValuesToList());
    assertThat(current(all)).containsExactly("label:label-studio:3:5 b>a");
  }
}
