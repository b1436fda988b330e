package dev.refinery.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void catalogNamesTheDesignedTopics() {
    Set<String> names = Topics.fixed().stream().map(TopicBinding::name).collect(Collectors.toSet());

    assertThat(names)
        .containsExactlyInAnyOrder(
            "corpus.raw.v1",
            "corpus.clean.v1",
            "corpus.rejected.v1",
            "corpus.takedowns.v1",
            "corpus.images.v1",
            "ingest.progress.v1",
            "trainer.metrics.v1",
            "trainer.checkpoints.v1",
            "feedback.samples.v1",
            "feedback.preferences.v1",
            "feedback.label-deletions.v1",
            "feedback.rbrm.v1",
            "feedback.rm-pairs.v1",
            "feedback.labeler-stats.v1");
  }

  @Test
  void theFeedbackInputsAreCoPartitioned() {
    // the joiner joins them by sample id without a repartition
    assertThat(Topics.FEEDBACK_PREFERENCES.partitions())
        .isEqualTo(Topics.FEEDBACK_SAMPLES.partitions())
        .isEqualTo(Topics.FEEDBACK_RBRM.partitions());
  }

  @Test
  void tokenTopicsAreNamedPerStream() {
    TopicBinding<String, TokenBatch> web = Topics.tokens("web");

    assertThat(web.name()).isEqualTo("tokens.web.v1");
    assertThat(Topics.streamOf("tokens.web.v1")).isEqualTo("web");
    assertThat(Topics.streamOf("corpus.raw.v1")).isNull();
    assertThat(web.configs())
        .containsEntry("cleanup.policy", "delete")
        .containsEntry("retention.ms", Long.toString(Duration.ofDays(30).toMillis()))
        .containsEntry("max.message.bytes", Integer.toString(Topics.LARGE_MESSAGE_BYTES));
  }

  @Test
  void badStreamNamesAreRefusedWithTheRule() {
    assertThatThrownBy(() -> Topics.tokens("Web Text"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Web Text'")
        .hasMessageContaining("a-z, 0-9");
    assertThatThrownBy(() -> Topics.tokens("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Topics.tokens(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void compactedTopicsKeepForever() {
    assertThat(Topics.TRAINER_CHECKPOINTS.configs())
        .containsEntry("cleanup.policy", "compact")
        .containsEntry("retention.ms", "-1");
  }

  @Test
  void bindingsAreImmutableAndValidated() {
    TopicBinding<String, Document> wider = Topics.CORPUS_RAW.withPartitions(12);

    assertThat(wider.partitions()).isEqualTo(12);
    assertThat(Topics.CORPUS_RAW.partitions()).isEqualTo(4);
    assertThatThrownBy(() -> Topics.CORPUS_RAW.withPartitions(0))
        .hasMessageContaining("partitions must be >= 1");
    assertThatThrownBy(() -> Topics.CORPUS_RAW.withRetention(Duration.ZERO))
        .hasMessageContaining("retention must be positive");
    assertThat(Topics.CORPUS_RAW.withRetention(null).configs()).containsEntry("retention.ms", "-1");
  }
}
