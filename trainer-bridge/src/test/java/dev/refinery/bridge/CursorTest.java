package dev.refinery.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class CursorTest {
  /** A cursor as version 1 writes it: kept so that a released trainer checkpoint stays readable. */
  private static final String V1 =
      "{\"v\":1,\"run_id\":\"run-7\",\"seed\":42,\"weights\":{\"code\":0.25,\"web\":0.75},"
          + "\"step\":30,\"item\":100,\"consumed\":{\"code\":20,\"web\":80},"
          + "\"segments\":[[0,0,2],[10,20,4]],\"positions\":[[\"tokens.web.v1\",3,17]]}";

  private static Cursor cursor() {
    return new Cursor(
        "run-7",
        42,
        new TreeMap<>(Map.of("web", 0.75, "code", 0.25)),
        30,
        100,
        new TreeMap<>(Map.of("web", 80L, "code", 20L)),
        List.of(new Cursor.Segment(0, 0, 2), new Cursor.Segment(10, 20, 4)),
        List.of(new Cursor.Position("tokens.web.v1", 3, 17)));
  }

  @Test
  void version1BytesAreReadAndWrittenExactly() {
    Cursor read = Cursor.decode(V1.getBytes(StandardCharsets.UTF_8));
    assertThat(read).isEqualTo(cursor());
    assertThat(new String(cursor().encode(), StandardCharsets.UTF_8)).isEqualTo(V1);
  }

  @Test
  void itemsFollowTheSegmentOfEachWorldSize() {
    List<Cursor.Segment> segments = cursor().segments();
    // two ranks for steps 0..9: items 0..19
    assertThat(Cursor.itemOf(segments, 0, 0)).isZero();
    assertThat(Cursor.itemOf(segments, 0, 1)).isEqualTo(1);
    assertThat(Cursor.itemOf(segments, 9, 1)).isEqualTo(19);
    // four ranks from step 10, item 20: no item skipped or read twice across the change
    assertThat(Cursor.itemOf(segments, 10, 0)).isEqualTo(20);
    assertThat(Cursor.itemOf(segments, 10, 3)).isEqualTo(23);
    assertThat(Cursor.itemOf(segments, 11, 0)).isEqualTo(24);
    assertThat(Cursor.segmentOf(segments, 9).worldSize()).isEqualTo(2);
    assertThat(Cursor.segmentOf(segments, 10).worldSize()).isEqualTo(4);
    assertThat(Cursor.segmentOfItem(segments, 19).worldSize()).isEqualTo(2);
    assertThat(Cursor.segmentOfItem(segments, 20).worldSize()).isEqualTo(4);
  }

  @Test
  void garbageIsRefusedWithAReason() {
    for (String garbage :
        new String[] {
          "",
          "not json",
          "[]",
          "{\"v\":2}",
          "{\"v\":1}",
          V1.replace("\"segments\":[[0,0,2],[10,20,4]]", "\"segments\":[]")
        }) {
      assertThatThrownBy(() -> Cursor.decode(garbage.getBytes(StandardCharsets.UTF_8)))
          .as(garbage)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cursor");
    }
  }
}
