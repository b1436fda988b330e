package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Licence;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The packing operator in Flink's harness: state, timers, snapshot and restore. */
class PackFunctionTest {
  static final int SEQ = 16;
  static final int EOT = 100257;

  static KeyedOneInputStreamOperatorTestHarness<String, TokenizedDocument, TokenBatch> harness()
      throws Exception {
    KeyedOneInputStreamOperatorTestHarness<String, TokenizedDocument, TokenBatch> h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(pack(SEQ)), d -> d.stream, Types.STRING);
    h.open();
    return h;
  }

  static PackFunction pack(int seqLen) {
    return new PackFunction(
        TokenizerSpec.builtIn("cl100k_base"), "concat", seqLen, false, 2, 32, 1000);
  }

  static TokenizedDocument doc(String id, String stream, int count) {
    SpanSource source =
        SpanSource.of(
            Source.newBuilder()
                .setName("s")
                .setKind(SourceKind.BOOKS)
                .setLicence(Licence.newBuilder().setTerms("contract 1").build())
                .setStream(stream)
                .build());
    return new TokenizedDocument(id, stream, source, IntStream.range(1, count + 1).toArray());
  }

  @Test
  void fullBatchesGoOutAtOnceAndEachStreamPacksApart() throws Exception {
    try (var h = harness()) {
      h.setProcessingTime(0);
      h.processElement(new StreamRecord<>(doc("w1", "web", 20))); // 21 of 32
      h.processElement(new StreamRecord<>(doc("b1", "books", 5)));
      h.processElement(new StreamRecord<>(doc("w2", "web", 20))); // 42: one batch, 10 pending

      List<TokenBatch> out = h.extractOutputValues();
      assertThat(out)
          .singleElement()
          .satisfies(
              b -> {
                assertThat(b.getBatchId()).isEqualTo("web-000000000000");
                assertThat(b.getStream()).isEqualTo("web");
                assertThat(b.getNumSequences()).isEqualTo(2);
                assertThat(b.getSpans())
                    .extracting(s -> s.getDocId())
                    .containsExactly("w1", "w1", "w2");
                assertThat(b.getSpans().get(0).getSource().getLicence().getTerms())
                    .isEqualTo("contract 1");
                assertThat(TokenBytes.of(b)[20]).isEqualTo(EOT);
              });
      assertThat(h.numKeyedStateEntries()).isPositive();
    }
  }

  @Test
  void anIdleStreamIsFlushedPaddedAndItsStateCleared() throws Exception {
    try (var h = harness()) {
      h.setProcessingTime(0);
      h.processElement(new StreamRecord<>(doc("b1", "books", 5)));
      h.setProcessingTime(600);
      h.processElement(new StreamRecord<>(doc("b2", "books", 3))); // resets the idle clock
      h.setProcessingTime(1000);
      assertThat(h.extractOutputValues()).as("idle for 400 ms only").isEmpty();

      h.setProcessingTime(1600);

      List<TokenBatch> out = h.extractOutputValues();
      assertThat(out)
          .singleElement()
          .satisfies(
              b -> {
                assertThat(b.getNumSequences()).isEqualTo(1);
                assertThat(b.getPadding()).isEqualTo(SEQ - 10);
                assertThat(b.getPadToken()).isEqualTo(EOT);
                assertThat(b.getSpans()).extracting(s -> s.getDocId()).containsExactly("b1", "b2");
              });
      assertThat(h.numProcessingTimeTimers()).isZero();
      // what remains is the batch counter only
      assertThat(h.numKeyedStateEntries()).isEqualTo(1);
    }
  }

  @Test
  void aSnapshotRestoresThePendingBatchAndTheBatchCounter() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness()) {
      h.setProcessingTime(0);
      h.processElement(new StreamRecord<>(doc("a", "web", 40))); // one batch, 9 pending
      snapshot = h.snapshot(1, 10);
    }
    try (var restored =
        new KeyedOneInputStreamOperatorTestHarness<String, TokenizedDocument, TokenBatch>(
            new KeyedProcessOperator<>(pack(SEQ)), d -> d.stream, Types.STRING)) {
      restored.initializeState(snapshot);
      restored.open();
      restored.setProcessingTime(0);
      restored.processElement(new StreamRecord<>(doc("b", "web", 30)));

      List<TokenBatch> out = restored.extractOutputValues();
      assertThat(out)
          .singleElement()
          .satisfies(
              b -> {
                assertThat(b.getBatchIndex()).isEqualTo(1);
                assertThat(b.getSpans().get(0).getDocId()).isEqualTo("a");
                assertThat(b.getSpans().get(0).getDocOffset()).isEqualTo(32);
              });
    }
  }

  @Test
  void aRestoreWithAnotherSequenceLengthFinishesTheOldBatchFirst() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness()) {
      h.setProcessingTime(0);
      h.processElement(new StreamRecord<>(doc("a", "web", 40))); // one batch of 2 x 16, 9 pending
      snapshot = h.snapshot(1, 10);
    }
    try (var restored =
        new KeyedOneInputStreamOperatorTestHarness<String, TokenizedDocument, TokenBatch>(
            new KeyedProcessOperator<>(pack(8)), d -> d.stream, Types.STRING)) {
      restored.initializeState(snapshot);
      restored.open();
      restored.setProcessingTime(0);
      restored.processElement(new StreamRecord<>(doc("b", "web", 15))); // 16 with its end-of-text

      List<TokenBatch> out = restored.extractOutputValues();
      assertThat(out).extracting(TokenBatch::getBatchIndex).containsExactly(1L, 2L);
      assertThat(out.get(0).getSeqLen()).isEqualTo(SEQ);
      assertThat(out.get(0).getPadding()).isEqualTo(SEQ - 9);
      assertThat(out.get(1).getSeqLen()).isEqualTo(8);
      assertThat(out.get(1).getSpans()).extracting(s -> s.getDocId()).containsExactly("b", "b");
    }
  }

  @Test
  void bestFitBatchesRecordTheirPackingAndEachRowsPadding() throws Exception {
    try (var h =
        new KeyedOneInputStreamOperatorTestHarness<String, TokenizedDocument, TokenBatch>(
            new KeyedProcessOperator<>(
                new PackFunction(
                    TokenizerSpec.builtIn("cl100k_base"), "best_fit", SEQ, true, 2, 4, 1000)),
            d -> d.stream,
            Types.STRING)) {
      h.open();
      h.setProcessingTime(0);
      h.processElement(new StreamRecord<>(doc("a", "web", 10))); // 11 of 17
      h.processElement(new StreamRecord<>(doc("b", "web", 12))); // 13: a new row
      h.processElement(new StreamRecord<>(doc("c", "web", 5))); // 6: fills a's row exactly
      h.setProcessingTime(2000);

      List<TokenBatch> out = h.extractOutputValues();
      assertThat(out)
          .singleElement()
          .satisfies(
              b -> {
                assertThat(b.getPacking()).isEqualTo("best_fit");
                assertThat(b.getLabelToken()).isTrue();
                assertThat(TokenBytes.rowWidth(b)).isEqualTo(SEQ + 1);
                assertThat(TokenBytes.of(b)).hasSize(2 * (SEQ + 1));
                assertThat(b.getSequencePadding()).containsExactly(0, 4);
                assertThat(b.getPadding()).isEqualTo(4);
                assertThat(b.getSpans())
                    .extracting(s -> s.getDocId() + "@" + s.getSequence() + ":" + s.getOffset())
                    .containsExactly("a@0:0", "c@0:11", "b@1:0");
              });
    }
  }
}
