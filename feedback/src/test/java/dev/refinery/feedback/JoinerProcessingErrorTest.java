package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The joiner under the runtime's exception policy: a record on which the join throws (here, a
 * metrics backend that fails on judgements) is rejected as {@code PROCESSING_ERROR} with its bytes
 * and the joiner goes on with the next record, instead of replaying the poison record for ever.
 */
class JoinerProcessingErrorTest {
  private static final Instant T = Instant.parse("2026-11-30T12:00:00Z");

  @TempDir Path state;

  /** A registry whose counter of joined judgements cannot be made. */
  private static final class FailingOnJudgements extends SimpleMeterRegistry {
    @Override
    protected Counter newCounter(Meter.Id id) {
      if ("judgement".equals(id.getTag("outcome"))) {
        throw new IllegalStateException("the metrics backend failed");
      }
      return super.newCounter(id);
    }
  }

  @Test
  void aRecordTheJoinThrowsOnIsRejectedAndTheJoinerGoesOn() {
    try (TopologyTestDriver driver =
        new TopologyTestDriver(
            FeedbackTopology.build(
                RubricTable.DEFAULT, new FeedbackMetrics(new FailingOnJudgements())),
            FeedbackService.streamsConfig(FeedbackTopologyTest.config(state)))) {
      TestInputTopic<String, byte[]> samples =
          driver.createInputTopic(
              Topics.FEEDBACK_SAMPLES.name(), new StringSerializer(), new ByteArraySerializer());
      TestInputTopic<String, byte[]> labels =
          driver.createInputTopic(
              Topics.FEEDBACK_PREFERENCES.name(),
              new StringSerializer(),
              new ByteArraySerializer());
      TestInputTopic<String, byte[]> judgements =
          driver.createInputTopic(
              Topics.FEEDBACK_RBRM.name(), new StringSerializer(), new ByteArraySerializer());
      TestOutputTopic<String, RewardModelPair> pairs =
          driver.createOutputTopic(
              Topics.FEEDBACK_RM_PAIRS.name(),
              new StringDeserializer(),
              Topics.FEEDBACK_RM_PAIRS.valueSerde().deserializer());
      TestOutputTopic<String, RejectedDocument> rejected =
          driver.createOutputTopic(
              Topics.CORPUS_REJECTED.name(),
              new StringDeserializer(),
              Topics.CORPUS_REJECTED.valueSerde().deserializer());

      samples.pipeInput(
          "s1", Topics.FEEDBACK_SAMPLES.serialize(Fixtures.sample("s1", "p1", "a", "b")), T);
      byte[] judgement = Topics.FEEDBACK_RBRM.serialize(PairMakerTest.judgement("a", "B"));
      judgements.pipeInput("s1", judgement, T);
      labels.pipeInput(
          "s1",
          Topics.FEEDBACK_PREFERENCES.serialize(
              FeedbackTopologyTest.label("l1", 1, "s1", "x", List.of(List.of("b"), List.of("a")))),
          T);

      List<RejectedDocument> rejections = rejected.readValuesToList();
      assertThat(rejections).hasSize(1);
      RejectedDocument r = rejections.get(0);
      assertThat(r.getStage()).isEqualTo(Stage.FEEDBACK);
      assertThat(r.getReason()).isEqualTo("PROCESSING_ERROR");
      assertThat(r.getDocId()).isEqualTo("s1");
      assertThat(r.getDetail()).contains("the metrics backend failed");
      assertThat(r.getLocation()).isEqualTo(Topics.FEEDBACK_RBRM.name() + "-0@0");
      byte[] original = new byte[r.getOriginal().remaining()];
      r.getOriginal().get(original);
      assertThat(original).isEqualTo(judgement);
      // the label after it is joined as usual
      assertThat(pairs.readValuesToList())
          .extracting(RewardModelPair::getPairId)
          .containsExactly("label:l1/b>a");
    }
  }
}
