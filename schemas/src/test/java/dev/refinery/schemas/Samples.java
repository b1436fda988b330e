package dev.refinery.schemas;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Sample records of every value type, for round-trip tests. */
final class Samples {
  static final Instant T = Instant.parse("2026-11-01T12:00:00Z");

  private Samples() {}

  static Source source() {
    return Source.newBuilder()
        .setName("acme-books")
        .setKind(SourceKind.LICENSED)
        .setLicence(
            Licence.newBuilder()
                .setLicensor("Acme Publishing")
                .setTerms("contract-2026-17")
                .build())
        .setStream("books")
        .build();
  }

  static Document document() {
    return Document.newBuilder()
        .setId(DocumentIds.of("acme-books", "isbn:978-0-00-000000-2"))
        .setSource(source())
        .setNativeId("isbn:978-0-00-000000-2")
        .setUrl(null)
        .setFetchedAt(T.minusSeconds(3600))
        .setIngestedAt(T)
        .setText("Ünïcödé text, 日本語, emoji 🧪 and a tab\there.")
        .setAttributes(Map.of("title", "A Book", "origin", "books.jsonl:1"))
        .setSignals(Map.of("words", 9.0))
        .build();
  }

  static RejectedDocument rejected() {
    return RejectedDocument.newBuilder()
        .setDocId("0123456789abcdef0123456789abcdef")
        .setStage(Stage.INGEST)
        .setReason("MALFORMED_JSON")
        .setDetail("Unexpected character at column 7")
        .setSource(source())
        .setLocation("books.jsonl:2")
        .setOriginal(ByteBuffer.wrap(new byte[] {'{', 'x'}))
        .setOriginalSize(2)
        .setRejectedAt(T)
        .build();
  }

  static TokenBatch batch() {
    return TokenBatch.newBuilder()
        .setBatchId("books-000000000000")
        .setStream("books")
        .setBatchIndex(0)
        .setTokenizer("cl100k_base")
        .setDtype(TokenDType.UINT32)
        .setSeqLen(4)
        .setNumSequences(1)
        .setTokens(TokenBytes.encode(new int[] {100257, 1, 2, 3}, 0, 4, TokenDType.UINT32))
        .setPadToken(100257)
        .setPadding(0)
        .setSpans(
            List.of(
                DocumentSpan.newBuilder()
                    .setDocId("d1")
                    .setSource(source())
                    .setSequence(0)
                    .setOffset(1)
                    .setLength(3)
                    .setDocOffset(0)
                    .setDocTokens(3)
                    .build()))
        .setCreatedAt(T)
        .build();
  }

  static TrainerMetric metric() {
    return TrainerMetric.newBuilder()
        .setRunId("run-1")
        .setRank(3)
        .setStep(100)
        .setLoss(2.5)
        .setTokensSeen(819_200)
        .setLearningRate(3e-4)
        .setStepTimeMs(120.0)
        .setDataWaitMs(1.5)
        .setRecordedAt(T)
        .setValues(Map.of("grad_norm", 0.9))
        .build();
  }

  static DataCheckpoint checkpoint() {
    return DataCheckpoint.newBuilder()
        .setRunId("run-1")
        .setStep(100)
        .setWorldSize(8)
        .setSeed(42)
        .setWeights(Map.of("web", 0.7, "books", 0.3))
        .setPositions(
            List.of(
                PartitionPosition.newBuilder()
                    .setTopic("tokens.web.v1")
                    .setPartition(0)
                    .setNextOffset(12)
                    .build()))
        .setCursor(ByteBuffer.wrap(new byte[] {1, 2, 3}))
        .setCreatedAt(T)
        .build();
  }
}
