package dev.refinery.tokenizer;

import static dev.refinery.tokenizer.ConcatPackerTest.EOT;
import static dev.refinery.tokenizer.ConcatPackerTest.doc;
import static dev.refinery.tokenizer.ConcatPackerTest.roundTrip;
import static dev.refinery.tokenizer.ConcatPackerTest.spans;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BestFitPackerTest {
  @Test
  void aDocumentGoesWholeIntoTheOpenRowWithTheLeastRoomThatHoldsIt() {
    Packer packer = new BestFitPacker(10, false, 8, EOT, 4);
    packer.add(doc("a", 0, 5)); // row 1: 6 used, 4 free
    packer.add(doc("b", 0, 6)); // row 2: 7 used, 3 free
    packer.add(doc("c", 0, 2)); // 3 needed: row 2 (3 free) is the best fit, and is full

    List<PackedBatch> out = packer.flush();
    assertThat(out)
        .singleElement()
        .satisfies(
            b -> {
              assertThat(spans(b)).isEqualTo("b@0:0+6/0 c@0:7+2/0 a@1:0+5/0");
              assertThat(b.rowPadding()).containsExactly(0, 4);
              assertThat(b.padding()).isEqualTo(4);
            });
  }

  @Test
  void aFullWindowClosesItsFullestRow() {
    Packer packer = new BestFitPacker(10, false, 1, EOT, 2);
    packer.add(doc("a", 0, 7)); // 8 used
    packer.add(doc("b", 0, 4)); // 5 used: second row
    List<PackedBatch> out = packer.add(doc("c", 0, 6)); // 7 fits neither; a's row (2 free) closes

    assertThat(out)
        .singleElement()
        .satisfies(
            b -> {
              assertThat(spans(b)).isEqualTo("a@0:0+7/0");
              assertThat(b.padding()).isEqualTo(2);
            });
  }

  @Test
  void aLongDocumentFillsWholeRowsFromTheirStartAndTheRestIsPlacedLikeAnyDocument() {
    Packer packer = new BestFitPacker(4, true, 8, EOT, 4); // rows of 5
    assertThat(packer.place(doc("long", 0, 12))).isEqualTo(3); // 5 + 5 + (2 + EOT)
    List<PackedBatch> out = packer.flush();
    assertThat(spans(out.get(0))).isEqualTo("long@0:0+5/0 long@1:0+5/5 long@2:0+2/10");
    assertThat(out.get(0).tokens()).startsWith(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, EOT, EOT, EOT);
  }

  @Test
  void everyTokenOfEveryDocumentIsInExactlyOneSpanAndStateRoundTripsExactly() throws Exception {
    SplittableRandom random = new SplittableRandom(5);
    Packer straight = new BestFitPacker(64, true, 4, EOT, 8);
    Packer restored = new BestFitPacker(64, true, 4, EOT, 8);
    List<PackedBatch> a = new ArrayList<>();
    List<PackedBatch> b = new ArrayList<>();
    Map<String, Integer> lengths = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      int n = 1 + random.nextInt(random.nextInt(10) == 0 ? 300 : 60);
      lengths.put("d" + i, n);
      a.addAll(straight.add(doc("d" + i, 0, n)));
      b.addAll(restored.add(doc("d" + i, 0, n)));
      if (i % 7 == 0) {
        restored = roundTrip(restored);
      }
    }
    a.addAll(straight.flush());
    b.addAll(restored.flush());
    assertThat(b).hasSameSizeAs(a);
    Map<String, Integer> covered = new HashMap<>();
    long padding = 0;
    long positions = 0;
    for (int i = 0; i < a.size(); i++) {
      assertThat(b.get(i).tokens()).containsExactly(a.get(i).tokens());
      assertThat(spans(b.get(i))).isEqualTo(spans(a.get(i)));
      for (PackedSpan s : a.get(i).spans()) {
        covered.merge(s.docId, s.length, Integer::sum);
        // the span's ids are the document's ids from its offset (doc ids count from 0)
        int at = s.sequence * 65 + s.offset;
        for (int k = 0; k < s.length; k++) {
          assertThat(a.get(i).tokens()[at + k]).isEqualTo(s.docOffset + k);
        }
      }
      padding += a.get(i).padding();
      positions += a.get(i).tokens().length;
    }
    assertThat(covered).isEqualTo(lengths);
    // best fit within 8 rows keeps padding low on this mix
    assertThat((double) padding / positions).isLessThan(0.15);
  }
}
