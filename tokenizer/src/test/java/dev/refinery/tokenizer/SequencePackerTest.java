package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SequencePackerTest {
  static final int EOT = 99;
  static final SpanSource SOURCE = new SpanSource();

  static TokenizedDocument doc(String id, int from, int count) {
    return new TokenizedDocument(id, "web", SOURCE, IntStream.range(from, from + count).toArray());
  }

  @Test
  void joinsDocumentsWithEndOfTextAndCutsFixedSequences() {
    SequencePacker packer = SequencePacker.empty(4, 2, EOT);

    List<PackedBatch> out = new ArrayList<>();
    out.addAll(packer.add(doc("a", 1, 3))); // 1 2 3 EOT
    out.addAll(packer.add(doc("b", 10, 5))); // 10 11 12 13 | 14 EOT

    assertThat(out).hasSize(1);
    PackedBatch batch = out.get(0);
    assertThat(batch.tokens()).containsExactly(1, 2, 3, EOT, 10, 11, 12, 13);
    assertThat(batch.numSequences()).isEqualTo(2);
    assertThat(batch.padding()).isZero();
    assertThat(batch.spans())
        .containsExactly(
            new PackedSpan("a", SOURCE, 0, 0, 3, 0, 3), new PackedSpan("b", SOURCE, 1, 0, 4, 0, 5));
    assertThat(packer.pending()).containsExactly(14, EOT);
    assertThat(packer.spans()).containsExactly(new PackedSpan("b", SOURCE, 0, 0, 1, 4, 5));
    assertThat(packer.nextBatchIndex()).isEqualTo(1);
  }

  @Test
  void aLongDocumentIsSplitAtEverySequenceAndBatchBoundary() {
    SequencePacker packer = SequencePacker.empty(3, 2, EOT);

    List<PackedBatch> out =
        packer.add(doc("long", 0, 13)); // 13 tokens + EOT = 14 = 2 batches of 6, 2 left

    assertThat(out).hasSize(2);
    assertThat(out.get(0).spans())
        .extracting(s -> s.sequence + ":" + s.offset + ":" + s.length + ":" + s.docOffset)
        .containsExactly("0:0:3:0", "1:0:3:3");
    assertThat(out.get(1).spans())
        .extracting(s -> s.sequence + ":" + s.offset + ":" + s.length + ":" + s.docOffset)
        .containsExactly("0:0:3:6", "1:0:3:9");
    assertThat(out.get(1).batchIndex()).isEqualTo(1);
    assertThat(packer.pending()).containsExactly(12, EOT);
    assertThat(packer.spans())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.docOffset).isEqualTo(12);
              assertThat(s.length).isEqualTo(1);
              assertThat(s.docTokens).isEqualTo(13);
            });
  }

  @Test
  void flushPadsTheLastSequenceAndWritesOnlyTheSequencesItNeeds() {
    SequencePacker packer = SequencePacker.empty(4, 8, EOT);
    packer.add(doc("a", 1, 5)); // 1 2 3 4 | 5 EOT

    PackedBatch batch = packer.flush();

    assertThat(batch.numSequences()).isEqualTo(2);
    assertThat(batch.tokens()).containsExactly(1, 2, 3, 4, 5, EOT, EOT, EOT);
    assertThat(batch.padding()).isEqualTo(2);
    assertThat(packer.isEmpty()).isTrue();
    assertThat(packer.flush()).isNull();
  }

  @Test
  void aPackerRebuiltFromItsStateContinuesExactly() {
    SequencePacker straight = SequencePacker.empty(5, 2, EOT);
    SequencePacker restored = SequencePacker.empty(5, 2, EOT);
    List<PackedBatch> a = new ArrayList<>();
    List<PackedBatch> b = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      TokenizedDocument d = doc("d" + i, i * 100, 1 + (i * 7) % 11);
      a.addAll(straight.add(d));
      b.addAll(restored.add(d));
      // as Flink does after every element: state out, state in
      restored =
          new SequencePacker(
              5, 2, EOT, restored.pending(), restored.spans(), restored.nextBatchIndex());
    }

    assertThat(b).hasSameSizeAs(a);
    for (int i = 0; i < a.size(); i++) {
      assertThat(b.get(i).tokens()).containsExactly(a.get(i).tokens());
      assertThat(b.get(i).spans()).isEqualTo(a.get(i).spans());
      assertThat(b.get(i).batchIndex()).isEqualTo(i);
    }
  }

  @Test
  void everyTokenOfEveryDocumentIsInExactlyOneSpan() {
    SequencePacker packer = SequencePacker.empty(7, 3, EOT);
    List<PackedBatch> out = new ArrayList<>();
    int[] sizes = {1, 30, 6, 7, 8, 21, 2, 50};
    for (int i = 0; i < sizes.length; i++) {
      out.addAll(packer.add(doc("d" + i, 1000 * i, sizes[i])));
    }
    out.add(packer.flush());

    for (int i = 0; i < sizes.length; i++) {
      String id = "d" + i;
      List<Integer> seen = new ArrayList<>();
      for (PackedBatch batch : out) {
        for (PackedSpan s : batch.spans()) {
          if (s.docId.equals(id)) {
            for (int k = 0; k < s.length; k++) {
              seen.add(batch.tokens()[s.sequence * 7 + s.offset + k]);
              assertThat(batch.tokens()[s.sequence * 7 + s.offset + k])
                  .isEqualTo(1000 * i + s.docOffset + k);
            }
          }
        }
      }
      assertThat(seen)
          .containsExactlyElementsOf(
              IntStream.range(1000 * i, 1000 * i + sizes[i]).boxed().toList());
    }
  }
}
