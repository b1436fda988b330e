package dev.refinery.runtime.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Licence;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.TokenDType;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The count of documents accounted for, kept as records come, is the count of them all at every
 * step: whatever order the three topics' records are read in, with documents rejected, tokenized
 * over several batches, rejected twice, or both rejected and tokenized.
 */
class PipelineAuditCountTest {
  private static final Source SOURCE =
      Source.newBuilder()
          .setName("s")
          .setKind(SourceKind.PUBLIC_WEB)
          .setLicence(Licence.newBuilder().setLicensor("l").setTerms("t").build())
          .setStream("web")
          .build();
  private static final Instant T = Instant.parse("2026-12-01T00:00:00Z");

  @Test
  void accountedForIsTheCountOfEveryDocumentAtEveryStep() {
    Random random = new Random(7);
    for (int round = 0; round < 200; round++) {
      PipelineAudit audit = new PipelineAudit(List.of("web"));
      List<Runnable> records = new ArrayList<>();
      int docs = 1 + random.nextInt(30);
      long batch = 0;
      for (int d = 0; d < docs; d++) {
        String id = "doc-" + d;
        records.add(() -> audit.add(document(id)));
        int tokens = 1 + random.nextInt(9);
        switch (random.nextInt(6)) {
          case 0 -> records.add(() -> audit.add(rejected(id)));
          case 1 -> {
            // rejected twice: a violation, not accounted for
            records.add(() -> audit.add(rejected(id)));
            records.add(() -> audit.add(rejected(id)));
          }
          case 2 -> {
            // tokens and a rejection: a violation
            TokenBatch b = batch(batch++, id, 0, tokens, tokens);
            records.add(() -> audit.add("web", b));
            records.add(() -> audit.add(rejected(id)));
          }
          case 3 -> {
            // over two batches, or only the first of them (in flight)
            int first = tokens / 2;
            TokenBatch a = batch(batch++, id, 0, first, tokens);
            TokenBatch b = batch(batch++, id, first, tokens - first, tokens);
            records.add(() -> audit.add("web", a));
            if (random.nextBoolean()) {
              records.add(() -> audit.add("web", b));
            }
          }
          case 4 -> {
            TokenBatch b = batch(batch++, id, 0, tokens, tokens);
            records.add(() -> audit.add("web", b));
          }
          default -> {} // in flight
        }
      }
      // an outcome of a document the audit never reads from raw
      records.add(() -> audit.add(rejected("not-read")));
      Collections.shuffle(records, random);
      for (Runnable r : records) {
        r.run();
        assertThat(audit.accountedFor())
            .as("round %d", round)
            .isEqualTo(audit.documents().size() - audit.inFlight().size());
      }
    }
  }

  private static Document document(String id) {
    return Document.newBuilder()
        .setId(id)
        .setSource(SOURCE)
        .setNativeId(id)
        .setIngestedAt(T)
        .setText("text of " + id)
        .build();
  }

  private static RejectedDocument rejected(String id) {
    return RejectedDocument.newBuilder()
        .setDocId(id)
        .setStage(Stage.DEDUP_FILTER)
        .setReason("EXACT_DUPLICATE")
        .setDetail("")
        .setSource(SOURCE)
        .setLocation("")
        .setOriginal(ByteBuffer.allocate(0))
        .setOriginalSize(0)
        .setRejectedAt(T)
        .build();
  }

  private static TokenBatch batch(long index, String id, int docOffset, int length, int docTokens) {
    int[] tokens = new int[length];
    return TokenBatch.newBuilder()
        .setBatchId("web-" + index)
        .setStream("web")
        .setBatchIndex(index)
        .setTokenizer("cl100k_base")
        .setDtype(TokenDType.UINT32)
        .setSeqLen(length)
        .setNumSequences(1)
        .setTokens(TokenBytes.encode(tokens, 0, length, TokenDType.UINT32))
        .setPadToken(100257)
        .setPadding(0)
        .setSpans(
            List.of(
                DocumentSpan.newBuilder()
                    .setDocId(id)
                    .setSource(SOURCE)
                    .setSequence(0)
                    .setOffset(0)
                    .setLength(length)
                    .setDocOffset(docOffset)
                    .setDocTokens(docTokens)
                    .build()))
        .setCreatedAt(T)
        .build();
  }
}
