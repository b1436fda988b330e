package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Licence;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer job on a real MiniCluster against the embedded broker. */
class TokenizerJobIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams("web", "books");

  // left for the build to clean: see Jobs.cancel
  @TempDir(cleanup = CleanupMode.NEVER)
  Path checkpoints;

  static Document doc(String id, String stream, String text) {
    return Document.newBuilder()
        .setId(DocumentIds.of("it", id))
        .setSource(
            Source.newBuilder()
                .setName("it-" + stream)
                .setKind(SourceKind.PUBLIC_WEB)
                .setLicence(Licence.newBuilder().setSpdxId("CC-BY-4.0").build())
                .setStream(stream)
                .build())
        .setIngestedAt(Instant.now())
        .setText(text)
        .build();
  }

  @Test
  void everyDocumentIsInSpansThatDecodeBackToItsTextOrRejected() throws Exception {
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String stream = i % 3 == 0 ? "books" : "web";
      String text =
          ("Document " + i + " — naïve café, 日本語のテキスト, emoji 🧪, code `x += 1;`\n")
              .repeat(1 + i % 17);
      docs.add(doc("d" + i, stream, text));
    }
    Document lost = doc("lost", "poetry", "A stream nobody declared.");
    TokenizerConfig config =
        new TokenizerConfig(
            Map.of(
                "bootstrap.servers",
                kafka.bootstrapServers(),
                TokenizerConfig.STREAMS,
                "web,books",
                TokenizerConfig.SEQ_LEN,
                64,
                TokenizerConfig.BATCH_SEQUENCES,
                4,
                TokenizerConfig.FLUSH_IDLE_MS,
                500,
                TokenizerConfig.CHECKPOINT_INTERVAL_MS,
                300,
                TokenizerConfig.CHECKPOINT_DIR,
                checkpoints.toString()));

    JobClient job = TokenizerJob.onKafka(config).startLocal();
    try {
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(
              Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
              new StringSerializer(),
              new ByteArraySerializer())) {
        for (Document d : docs) {
          producer.send(
              new ProducerRecord<>(
                  Topics.CORPUS_CLEAN.name(), d.getId(), Topics.CORPUS_CLEAN.serialize(d)));
        }
        producer.send(
            new ProducerRecord<>(Topics.CORPUS_CLEAN.name(), "garbage", new byte[] {1, 2, 3}));
        producer.send(
            new ProducerRecord<>(
                Topics.CORPUS_CLEAN.name(), lost.getId(), Topics.CORPUS_CLEAN.serialize(lost)));
      }

      List<RejectedDocument> rejected =
          kafka.await(Topics.CORPUS_REJECTED, r -> r.size() >= 2, Duration.ofSeconds(60));
      assertThat(rejected)
          .extracting(RejectedDocument::getReason)
          .containsExactlyInAnyOrder("UNDECODABLE", "UNKNOWN_STREAM");
      Map<String, Document> byId = new HashMap<>();
      docs.forEach(d -> byId.put(d.getId(), d));
      List<TokenBatch> batches = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!complete(batches, byId) && System.nanoTime() < deadline) {
        Thread.sleep(300);
        batches = new ArrayList<>(kafka.values(Topics.tokens("web")));
        batches.addAll(kafka.values(Topics.tokens("books")));
      }
      assertThat(complete(batches, byId)).as("every document fully in spans").isTrue();

      Tokenizer tokenizer = Tokenizer.forName("cl100k_base");
      Map<String, Integer> covered = new HashMap<>();
      for (TokenBatch b : batches) {
        assertThat(b.getTokenizer()).isEqualTo("cl100k_base");
        assertThat(b.getSeqLen()).isEqualTo(64);
        int[] tokens = TokenBytes.of(b);
        List<DocumentSpan> spans = new ArrayList<>(b.getSpans());
        for (DocumentSpan s : spans) {
          Document d = byId.get(s.getDocId());
          assertThat(d).as("span of a document that was sent").isNotNull();
          assertThat(s.getSource().getStream()).isEqualTo(b.getStream());
          int[] expected = tokenizer.encode(d.getText());
          int at = TokenBytes.position(b, s);
          for (int k = 0; k < s.getLength(); k++) {
            assertThat(tokens[at + k]).isEqualTo(expected[s.getDocOffset() + k]);
          }
          covered.merge(d.getId(), s.getLength(), Integer::sum);
        }
      }
      // spans in doc order decode back to the text
      for (Document d : docs) {
        List<int[]> pieces = new ArrayList<>();
        batches.stream()
            .sorted(Comparator.comparing(TokenBatch::getBatchIndex))
            .forEach(
                b -> {
                  int[] tokens = TokenBytes.of(b);
                  b.getSpans().stream()
                      .filter(s -> s.getDocId().equals(d.getId()))
                      .sorted(Comparator.comparing(DocumentSpan::getDocOffset))
                      .forEach(
                          s -> {
                            int at = TokenBytes.position(b, s);
                            pieces.add(
                                java.util.Arrays.copyOfRange(tokens, at, at + s.getLength()));
                          });
                });
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int[] p : pieces) {
          bytes.writeBytes(tokenizer.decodeBytes(p, 0, p.length));
        }
        assertThat(bytes.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(d.getText());
        assertThat(covered.get(d.getId()))
            .as("no token twice")
            .isEqualTo(tokenizer.encode(d.getText()).length);
      }
    } finally {
      Jobs.cancel(job);
    }
  }

  private static boolean complete(List<TokenBatch> batches, Map<String, Document> docs) {
    Map<String, Integer> covered = new HashMap<>();
    Map<String, Integer> total = new HashMap<>();
    for (TokenBatch b : batches) {
      for (DocumentSpan s : b.getSpans()) {
        covered.merge(s.getDocId(), s.getLength(), Integer::sum);
        total.put(s.getDocId(), s.getDocTokens());
      }
    }
    return docs.keySet().stream()
        .allMatch(id -> total.containsKey(id) && covered.get(id) >= total.get(id));
  }
}
