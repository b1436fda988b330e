package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.Ingestor;
import dev.refinery.ingest.SourceDeclaration;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.Topics;
import dev.refinery.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SFT data in each shape it is published in (OpenAI chat, ShareGPT, Alpaca) through ingest,
 * dedup-filter and the tokenizer: each conversation's tokens, gathered from its spans across rows
 * and batches, decode to its ChatML rendering, and the tokens its spans mark as learned decode to
 * exactly its assistant turns (with their end markers).
 */
class SftPipelineIT {
  static final SourceDeclaration CHATS =
      new SourceDeclaration("chats", SourceKind.SYNTHETIC, "CC0-1.0", null, null, "sft");

  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  @TempDir Path work;

  @Test
  void eachShapesAssistantTurnsAreExactlyWhatIsLearned() throws Exception {
    Path file = work.resolve("sft.jsonl");
    Files.writeString(
        file,
        """
        {"id": "oa-1", "messages": [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "What is the capital of France?"}, {"role": "assistant", "content": "Paris."}, {"role": "user", "content": "And of Italy?"}, {"role": "assistant", "content": "Rome."}]}
        {"id": "sg-1", "conversations": [{"from": "human", "value": "Say hello to the reader, please."}, {"from": "gpt", "value": "Hello, reader! I hope you are well today."}]}
        {"id": "al-1", "instruction": "Add the two numbers.", "input": "2 and 3", "output": "The sum is 5."}
        """);
    Map<String, String> expectedLearned =
        Map.of(
            "openai",
            "Paris.<|im_end|>Rome.<|im_end|>",
            "sharegpt",
            "Hello, reader! I hope you are well today.<|im_end|>",
            "alpaca",
            "The sum is 5.<|im_end|>");
    Settings settings =
        new Settings(
            work.resolve("refinery"),
            null,
            Map.of(),
            Map.of(
                "bootstrap.servers", kafka.bootstrapServers(),
                "tokenizer.streams", "sft",
                "tokenizer.seq.len", "24",
                "tokenizer.batch.sequences", "2",
                "tokenizer.flush.idle.ms", "500",
                "tokenizer.checkpoint.interval.ms", "500",
                "dedup.http.port", "0",
                "tokenizer.metrics.port", "-1"));
    StringWriter log = new StringWriter();
    List<TokenBatch> batches;
    try (Pipeline pipeline = Pipeline.start(settings, false, new PrintWriter(log, true));
        Ingestor ingestor =
            Ingestor.create(settings.ingest(), "sft-it", IngestMetrics.inMemory())) {
      ingestor.ingest(file, CHATS);
      batches =
          kafka.await(
              Topics.tokens("sft"),
              l -> docs(l).size() == 3 && complete(l),
              Duration.ofSeconds(120));
    }
    Tokenizer tokenizer = Tokenizer.forName("cl100k_base");
    Map<String, StringBuilder> learned = new TreeMap<>();
    Map<String, StringBuilder> all = new TreeMap<>();
    for (TokenBatch b :
        batches.stream().sorted(Comparator.comparing(TokenBatch::getBatchIndex)).toList()) {
      int[] tokens = TokenBytes.of(b);
      for (DocumentSpan s : b.getSpans()) {
        int at = TokenBytes.position(b, s);
        all.computeIfAbsent(s.getDocId(), k -> new StringBuilder())
            .append(tokenizer.decode(tokens, at, s.getLength()));
        assertThat(s.getLossRanges()).as("a conversation's span says what is learned").isNotNull();
        for (int k = 0; k + 1 < s.getLossRanges().size(); k += 2) {
          int from = s.getLossRanges().get(k);
          int to = s.getLossRanges().get(k + 1);
          learned
              .computeIfAbsent(s.getDocId(), d -> new StringBuilder())
              .append(tokenizer.decode(tokens, at + from - s.getDocOffset(), to - from));
        }
      }
    }
    assertThat(all).hasSize(3);
    List<String> renderings = new ArrayList<>();
    all.values().forEach(v -> renderings.add(v.toString()));
    assertThat(renderings)
        .anySatisfy(
            r ->
                assertThat(r)
                    .isEqualTo(
                        "<|im_start|>system\nAnswer in one word.<|im_end|>\n"
                            + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                            + "<|im_start|>assistant\nParis.<|im_end|>\n"
                            + "<|im_start|>user\nAnd of Italy?<|im_end|>\n"
                            + "<|im_start|>assistant\nRome.<|im_end|>\n"))
        .anySatisfy(
            r -> assertThat(r).contains("<|im_start|>user\nAdd the two numbers.\n\n2 and 3"));
    assertThat(learned.values().stream().map(StringBuilder::toString).sorted().toList())
        .containsExactlyElementsOf(expectedLearned.values().stream().sorted().toList());
  }

  private static java.util.Set<String> docs(List<TokenBatch> batches) {
    java.util.Set<String> ids = new java.util.HashSet<>();
    batches.forEach(b -> b.getSpans().forEach(s -> ids.add(s.getDocId())));
    return ids;
  }

  /** Every document's spans add up to its tokens. */
  private static boolean complete(List<TokenBatch> batches) {
    Map<String, Integer> seen = new TreeMap<>();
    Map<String, Integer> total = new TreeMap<>();
    for (TokenBatch b : batches) {
      for (DocumentSpan s : b.getSpans()) {
        seen.merge(s.getDocId(), s.getLength(), Integer::sum);
        total.put(s.getDocId(), s.getDocTokens());
      }
    }
    return seen.equals(total);
  }
}
