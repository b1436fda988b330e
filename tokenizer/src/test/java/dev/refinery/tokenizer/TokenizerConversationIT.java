package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Message;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
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
 * A conversation through the tokenizer job: packed as its ChatML rendering, its spans saying which
 * of their tokens are the assistant's (the ones a trainer learns from), across a row boundary.
 */
class TokenizerConversationIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams("chat");

  // left for the build to clean: see Jobs.cancel
  @TempDir(cleanup = CleanupMode.NEVER)
  Path checkpoints;

  @Test
  void aConversationsSpansCarryTheAssistantsRanges() throws Exception {
    List<Message> turns =
        List.of(
            new Message("user", "Name three primary colours, please."),
            new Message("assistant", "Red, yellow and blue are the traditional three."),
            new Message("user", "Thanks."),
            new Message("assistant", "You are welcome."));
    Document doc =
        Document.newBuilder(TokenizerJobIT.doc("conv-1", "chat", "ignored for a conversation"))
            .setMessages(turns)
            .build();
    JobClient job =
        TokenizerJob.onKafka(
                new TokenizerConfig(
                    Map.of(
                        "bootstrap.servers",
                        kafka.bootstrapServers(),
                        TokenizerConfig.STREAMS,
                        "chat",
                        TokenizerConfig.SEQ_LEN,
                        16,
                        TokenizerConfig.BATCH_SEQUENCES,
                        2,
                        TokenizerConfig.FLUSH_IDLE_MS,
                        500,
                        TokenizerConfig.CHECKPOINT_INTERVAL_MS,
                        300,
                        TokenizerConfig.CHECKPOINT_DIR,
                        checkpoints.toString())))
            .startLocal();
    try {
      try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
        producer.send(
            new ProducerRecord<>(
                Topics.CORPUS_CLEAN.name(), doc.getId(), Topics.CORPUS_CLEAN.serialize(doc)));
      }
      Tokenizer tokenizer = Tokenizer.forName("cl100k_base");
      ChatTemplate.Rendered rendered = ChatTemplate.render(turns, tokenizer);
      int total = rendered.tokens().length;
      List<TokenBatch> batches =
          kafka.await(
              Topics.tokens("chat"),
              l ->
                  l.stream()
                          .flatMap(b -> b.getSpans().stream())
                          .mapToInt(DocumentSpan::getLength)
                          .sum()
                      >= total,
              Duration.ofSeconds(60));

      StringBuilder learned = new StringBuilder();
      StringBuilder all = new StringBuilder();
      int spans = 0;
      for (TokenBatch b :
          batches.stream().sorted(Comparator.comparing(TokenBatch::getBatchIndex)).toList()) {
        int[] tokens = TokenBytes.of(b);
        for (DocumentSpan s : b.getSpans()) {
          spans++;
          int at = TokenBytes.position(b, s);
          all.append(tokenizer.decode(tokens, at, s.getLength()));
          assertThat(s.getLossRanges())
              .as("a conversation's span says what is learned")
              .isNotNull();
          for (int k = 0; k + 1 < s.getLossRanges().size(); k += 2) {
            int from = s.getLossRanges().get(k);
            int to = s.getLossRanges().get(k + 1);
            assertThat(from).isGreaterThanOrEqualTo(s.getDocOffset());
            assertThat(to).isLessThanOrEqualTo(s.getDocOffset() + s.getLength());
            learned.append(tokenizer.decode(tokens, at + from - s.getDocOffset(), to - from));
          }
        }
      }
      assertThat(spans).as("the conversation crosses rows").isGreaterThan(1);
      assertThat(all.toString()).isEqualTo(tokenizer.decode(rendered.tokens(), 0, total));
      assertThat(learned.toString())
          .isEqualTo(
              "Red, yellow and blue are the traditional three.<|im_end|>You are welcome.<|im_end|>");
    } finally {
      Jobs.cancel(job);
    }
  }
}
