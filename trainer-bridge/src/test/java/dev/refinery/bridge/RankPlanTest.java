package dev.refinery.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RankPlanTest {
  static final Mixture MIX = new Mixture(42, Map.of("web", 0.6, "books", 0.3, "code", 0.1));

  static List<String> read(
      List<Cursor.Segment> segs, int rank, long step, long item, long[] c, int n) {
    RankPlan plan = new RankPlan(MIX, segs, rank, step, item, c);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RankPlan.Step s = plan.next();
      out.add(MIX.stream(s.stream()) + "-" + s.index());
    }
    return out;
  }

  @Test
  void drawsArePinnedSoThePythonClientCanCheckThem() {
    // the same values are asserted in trainer-bridge/python/tests/test_mixture.py
    Mixture m = new Mixture(42, Map.of("web", 0.6, "books", 0.3, "code", 0.1));
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 16; i++) {
      s.append(m.stream(m.draw(i)).charAt(0));
    }
    assertThat(s.toString()).isEqualTo(GOLDEN_DRAWS);
    assertThat(Mixture.mix(1)).isEqualTo(0x5692161d100b05e5L);
  }

  static final String GOLDEN_DRAWS = "wbbcbwbwcwbwwwwb";

  @Test
  void ranksReadDisjointBatchesWhoseUnionIsEveryBatchInOrder() {
    for (int world : new int[] {1, 2, 4, 7}) {
      List<Cursor.Segment> segs = List.of(new Cursor.Segment(0, 0, world));
      Set<String> all = new HashSet<>();
      int steps = 300;
      for (int r = 0; r < world; r++) {
        for (String id : read(segs, r, 0, 0, new long[3], steps)) {
          assertThat(all.add(id)).as("read twice: %s", id).isTrue();
        }
      }
      assertThat(all).hasSize(steps * world);
      // the union is a prefix of every stream
      Map<String, Integer> per = new TreeMap<>();
      all.forEach(id -> per.merge(id.substring(0, id.indexOf('-')), 1, Integer::sum));
      per.forEach(
          (stream, n) -> {
            for (int i = 0; i < n; i++) {
              assertThat(all).contains(stream + "-" + i);
            }
          });
      assertThat(per.get("web") / (double) (steps * world)).isBetween(0.5, 0.7);
    }
  }

  @Test
  void aResumedRankContinuesExactlyAndAnotherWorldSizeRepeatsAndSkipsNothing() {
    List<Cursor.Segment> two = List.of(new Cursor.Segment(0, 0, 2));
    List<String> uninterrupted = read(two, 1, 0, 0, new long[3], 200);
    // checkpoint at step 120: every rank has read steps 0..119
    long item = Cursor.itemOf(two, 120, 0);
    long[] counts = new RankPlan.Walk(MIX, 0, new long[3]).advanceTo(item);
    assertThat(read(two, 1, 120, item, counts, 80)).isEqualTo(uninterrupted.subList(120, 200));

    // resume on 3 ranks: nothing before the checkpoint again, nothing after it missed
    Set<String> seen = new HashSet<>();
    for (int r = 0; r < 2; r++) {
      seen.addAll(read(two, r, 0, 0, new long[3], 120));
    }
    List<Cursor.Segment> three = new ArrayList<>(two);
    three.add(new Cursor.Segment(120, item, 3));
    for (int r = 0; r < 3; r++) {
      for (String id : read(three, r, 120, item, counts, 50)) {
        assertThat(seen.add(id)).as("repeated after resume: %s", id).isTrue();
      }
    }
    assertThat(seen).hasSize(240 + 150);
    Map<String, Integer> per = new TreeMap<>();
    seen.forEach(id -> per.merge(id.substring(0, id.indexOf('-')), 1, Integer::sum));
    per.forEach(
        (stream, n) -> {
          for (int i = 0; i < n; i++) {
            assertThat(seen).as("skipped").contains(stream + "-" + i);
          }
        });
  }

  @Test
  void cursorsRoundTripAndGarbageIsRefusedWithAReason() {
    Cursor c =
        new Cursor(
            "run-1",
            7,
            new TreeMap<>(Map.of("web", 1.0)),
            10,
            20,
            new TreeMap<>(Map.of("web", 20L)),
            List.of(new Cursor.Segment(0, 0, 2)),
            List.of(new Cursor.Position("tokens.web.v1", 0, 55)));
    assertThat(Cursor.decode(c.encode())).isEqualTo(c);
    assertThatThrownBy(() -> Cursor.decode("not json".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("not one the bridge made");
    assertThatThrownBy(() -> Cursor.decode("{\"v\":1}".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("incomplete");
    assertThatThrownBy(() -> Cursor.decode("{\"v\":9}".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("version");
    assertThatThrownBy(() -> new Mixture(1, Map.of("web", -1.0))).hasMessageContaining("positive");
  }
}
