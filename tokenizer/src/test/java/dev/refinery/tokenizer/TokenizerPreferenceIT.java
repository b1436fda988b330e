package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.PairOrigin;
import dev.refinery.schemas.PreferenceRows;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reward-model pairs through the tokenizer job into batches of the preference stream: a set's pairs
 * stay together in one batch, revisions replace, retractions drop a set still gathering, and what
 * cannot be packed is rejected with its reason.
 */
class TokenizerPreferenceIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams("main", "rlhf");

  // left for the build to clean: see Jobs.cancel
  @TempDir(cleanup = CleanupMode.NEVER)
  Path checkpoints;

  private final Tokenizer tokenizer = Tokenizer.forName("cl100k_base");

  static RewardModelPair pair(
      String set, long revision, int size, String chosen, String rejected, Double margin) {
    return RewardModelPair.newBuilder()
        .setPairId(set + "/" + chosen + ">" + rejected)
        .setSetId(set)
        .setSetRevision(revision)
        .setSetSize(size)
        .setGroupId("prompt-1")
        .setPromptId("prompt-1")
        .setSampleId("sample-1")
        .setPrompt("Which colour is the sky on a clear day?")
        .setChosen(size == 0 ? "" : "The sky is " + chosen + ".")
        .setRejected(size == 0 ? "" : "It is " + rejected + ", of course.")
        .setChosenCompletionId("c-" + chosen)
        .setRejectedCompletionId("c-" + rejected)
        .setMargin(margin)
        .setOrigin(PairOrigin.HUMAN)
        .setCreatedAt(Instant.ofEpochMilli(1_700_000_000_000L))
        .build();
  }

  @Test
  void aSetsPairsStayTogetherAndOnlyTheLatestRevisionIsPacked() throws Exception {
    List<byte[]> records =
        List.of(
            // label:a, three pairs: alone in batch 0 (with label:b's two it would be five > 4)
            bytes(pair("label:a", 1, 3, "blue", "green", 1.0)),
            bytes(pair("label:a", 1, 3, "blue", "red", 2.0)),
            bytes(pair("label:a", 1, 3, "green", "red", null)),
            // label:c is retracted before it is complete: never packed
            bytes(pair("label:c", 1, 2, "azure", "black", null)),
            bytes(pair("label:c", 2, 0, "", "", null)),
            "not a pair at all".getBytes(StandardCharsets.UTF_8),
            bytes(
                RewardModelPair.newBuilder(pair("label:e", 1, 1, "blue", "grey", null))
                    .setChosen(" ")
                    .build()),
            bytes(pair("label:b", 1, 2, "blue", "orange", null)),
            // label:d at revision 2; its revision-1 pair comes late and is dropped
            bytes(pair("label:d", 2, 2, "cyan", "pink", null)),
            bytes(pair("label:d", 1, 2, "white", "pink", null)),
            bytes(pair("label:b", 1, 2, "orange", "purple", null)),
            bytes(pair("label:d", 2, 2, "cyan", "brown", null)));
    JobClient job =
        TokenizerJob.onKafka(
                new TokenizerConfig(
                    Map.of(
                        "bootstrap.servers",
                        kafka.bootstrapServers(),
                        TokenizerConfig.STREAMS,
                        "main",
                        TokenizerConfig.PREFERENCE_STREAM,
                        "rlhf",
                        TokenizerConfig.PREFERENCE_BATCH_PAIRS,
                        4,
                        TokenizerConfig.SEQ_LEN,
                        64,
                        TokenizerConfig.FLUSH_IDLE_MS,
                        120_000,
                        TokenizerConfig.CHECKPOINT_INTERVAL_MS,
                        300,
                        TokenizerConfig.CHECKPOINT_DIR,
                        checkpoints.toString())))
            .startLocal();
    try {
      try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
        for (byte[] value : records) {
          // one prompt, one partition: the order above is the order read
          producer.send(new ProducerRecord<>(Topics.FEEDBACK_RM_PAIRS.name(), "prompt-1", value));
        }
      }
      List<TokenBatch> batches =
          kafka.await(Topics.tokens("rlhf"), l -> l.size() >= 2, Duration.ofSeconds(90)).stream()
              .sorted(Comparator.comparing(TokenBatch::getBatchIndex))
              .toList();

      assertThat(batches).hasSize(2);
      assertThat(batches.get(0).getPairs())
          .extracting(PreferenceRows::getSetId)
          .containsExactly("label:a", "label:a", "label:a");
      assertThat(batches.get(0).getPairs())
          .extracting(PreferenceRows::getMargin)
          .containsExactly(1.0, 2.0, null);
      assertThat(batches.get(1).getPairs())
          .extracting(p -> p.getSetId() + "@" + p.getSetRevision())
          .containsExactly("label:b@1", "label:b@1", "label:d@2", "label:d@2");
      for (TokenBatch b : batches) {
        assertThat(b.getStream()).isEqualTo("rlhf");
        assertThat(b.getPacking()).isEqualTo("pairs");
        assertThat(b.getNumSequences()).isEqualTo(2 * b.getPairs().size());
        assertThat(b.getSpans()).hasSize(b.getNumSequences());
        for (PreferenceRows p : b.getPairs()) {
          assertThat(p.getGroupId()).isEqualTo("prompt-1");
          assertThat(p.getRejected()).isEqualTo(p.getChosen() + 1);
          String[] colours = p.getPairId().substring(p.getPairId().indexOf('/') + 1).split(">");
          assertRow(b, p.getChosen(), "c-" + colours[0], "The sky is " + colours[0] + ".");
          assertRow(b, p.getRejected(), "c-" + colours[1], "It is " + colours[1] + ", of course.");
        }
      }

      List<RejectedDocument> rejected =
          kafka.await(Topics.CORPUS_REJECTED, l -> l.size() >= 2, Duration.ofSeconds(30));
      assertThat(rejected)
          .extracting(RejectedDocument::getReason)
          .containsExactlyInAnyOrder("UNDECODABLE", "BAD_PAIR");
      assertThat(rejected)
          .filteredOn(r -> r.getReason().equals("BAD_PAIR"))
          .extracting(RejectedDocument::getDocId)
          .containsExactly("label:e/blue>grey");
    } finally {
      Jobs.cancel(job);
    }
  }

  /** The row holds the prompt and the response as a user and an assistant turn, padded after. */
  private void assertRow(TokenBatch b, int row, String completion, String response) {
    DocumentSpan span = b.getSpans().get(row);
    assertThat(span.getDocId()).isEqualTo(completion);
    assertThat(span.getSequence()).isEqualTo(row);
    assertThat(span.getOffset()).isZero();
    assertThat(span.getSource().getName()).isEqualTo("feedback");
    int[] tokens = TokenBytes.of(b);
    int at = TokenBytes.position(b, span);
    assertThat(tokenizer.decode(tokens, at, span.getLength()))
        .isEqualTo(
            "<|im_start|>user\nWhich colour is the sky on a clear day?<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + response
                + "<|im_end|>\n");
    List<Integer> learned = span.getLossRanges();
    assertThat(learned).hasSize(2);
    assertThat(tokenizer.decode(tokens, at + learned.get(0), learned.get(1) - learned.get(0)))
        .isEqualTo(response + "<|im_end|>");
    assertThat(b.getSequencePadding().get(row)).isEqualTo(b.getSeqLen() - span.getLength());
  }

  private static byte[] bytes(RewardModelPair p) {
    return Topics.FEEDBACK_RM_PAIRS.serialize(p);
  }
}
