package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ConcatPackerTest {
  static final int EOT = 99;
  static final SpanSource SOURCE = new SpanSource();

  static TokenizedDocument doc(String id, int from, int count) {
    return new TokenizedDocument(id, "web", SOURCE, IntStream.range(from, from + count).toArray());
  }

  static String spans(PackedBatch b) {
    List<String> out = new ArrayList<>();
    b.spans()
        .forEach(
            s ->
                out.add(
                    s.docId
                        + "@"
                        + s.sequence
                        + ":"
                        + s.offset
                        + "+"
                        + s.length
                        + "/"
                        + s.docOffset));
    return String.join(" ", out);
  }

  static Packer roundTrip(Packer p) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    p.write(new DataOutputStream(bytes));
    return Packer.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
  }

  @Test
  void joinsDocumentsWithEndOfTextAndCutsFixedSequences() {
    Packer packer = new ConcatPacker(4, false, 2, EOT);

    List<PackedBatch> out = new ArrayList<>();
    out.addAll(packer.add(doc("a", 1, 3))); // 1 2 3 EOT
    out.addAll(packer.add(doc("b", 10, 5))); // 10 11 12 13 | 14 EOT

    assertThat(out)
        .singleElement()
        .satisfies(
            batch -> {
              assertThat(batch.tokens()).containsExactly(1, 2, 3, EOT, 10, 11, 12, 13);
              assertThat(batch.numSequences()).isEqualTo(2);
              assertThat(batch.padding()).isZero();
              assertThat(batch.rowPadding()).containsExactly(0, 0);
              assertThat(spans(batch)).isEqualTo("a@0:0+3/0 b@1:0+4/0");
            });
    assertThat(packer.flush())
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.batchIndex()).isEqualTo(1);
              assertThat(b.tokens()).containsExactly(14, EOT, EOT, EOT);
              assertThat(b.padding()).isEqualTo(2);
              assertThat(spans(b)).isEqualTo("b@0:0+1/4");
            });
    assertThat(packer.isEmpty()).isTrue();
    assertThat(packer.flush()).isEmpty();
  }

  @Test
  void aLongDocumentIsSplitAtEverySequenceAndBatchBoundary() {
    Packer packer = new ConcatPacker(3, false, 2, EOT);

    List<PackedBatch> out = packer.add(doc("long", 0, 13)); // 13 + EOT: 2 batches of 6, 2 left

    assertThat(out).hasSize(2);
    assertThat(spans(out.get(0))).isEqualTo("long@0:0+3/0 long@1:0+3/3");
    assertThat(spans(out.get(1))).isEqualTo("long@0:0+3/6 long@1:0+3/9");
    assertThat(out.get(1).batchIndex()).isEqualTo(1);
    assertThat(packer.place(doc("next", 50, 1))).isEqualTo(1);
  }

  @Test
  void withALabelTokenEachRowEndsWithTheNextRowsFirstToken() {
    Packer packer = new ConcatPacker(4, true, 2, EOT);

    // 1..9 then EOT: rows [1 2 3 4 | 5] [5 6 7 8 | 9]; the second row waits for 9 to be known
    List<PackedBatch> out = packer.add(doc("a", 1, 9));

    assertThat(out)
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.tokens()).containsExactly(1, 2, 3, 4, 5, 5, 6, 7, 8, 9);
              assertThat(spans(b))
                  .as("the label token is in no span")
                  .isEqualTo("a@0:0+4/0 a@1:0+4/4");
            });
    assertThat(packer.flush())
        .singleElement()
        .satisfies(
            b -> {
              // 9 EOT, then padding; the label of the last input is padding too
              assertThat(b.tokens()).containsExactly(9, EOT, EOT, EOT, EOT);
              assertThat(b.padding()).isEqualTo(3);
              assertThat(spans(b)).isEqualTo("a@0:0+1/8");
            });
  }

  @Test
  void aPackerReadBackFromItsStateContinuesExactly() throws Exception {
    Packer once = new ConcatPacker(4, true, 2, EOT);
    Packer twice = new ConcatPacker(4, true, 2, EOT);
    List<PackedBatch> straight = new ArrayList<>();
    List<PackedBatch> restored = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      straight.addAll(once.add(doc("d" + i, i * 10, 3 + i)));
      restored.addAll(twice.add(doc("d" + i, i * 10, 3 + i)));
      twice = roundTrip(twice);
    }
    straight.addAll(once.flush());
    restored.addAll(twice.flush());
    assertThat(restored).hasSameSizeAs(straight);
    for (int i = 0; i < straight.size(); i++) {
      assertThat(restored.get(i).tokens()).containsExactly(straight.get(i).tokens());
      assertThat(spans(restored.get(i))).isEqualTo(spans(straight.get(i)));
      assertThat(restored.get(i).batchIndex()).isEqualTo(straight.get(i).batchIndex());
    }
  }
}
