package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineReaderTest {

  @Test
  void splitsLinesStripsCrAndKeepsOffsets() throws IOException {
    List<LineReader.Line> lines = read("ab\r\ncd\n\nlast", 100);

    assertThat(lines)
        .extracting(l -> new String(l.bytes(), StandardCharsets.UTF_8))
        .containsExactly("ab", "cd", "", "last");
    assertThat(lines).extracting(LineReader.Line::number).containsExactly(1L, 2L, 3L, 4L);
    assertThat(lines).extracting(LineReader.Line::offset).containsExactly(0L, 4L, 7L, 8L);
  }

  @Test
  void longLinesAreCutAtTheBoundWithTheirFullLength() throws IOException {
    String big = "x".repeat(200_000);
    List<LineReader.Line> lines = read("short\n" + big + "\nafter\n", 1000);

    assertThat(lines).hasSize(3);
    assertThat(lines.get(1).tooLong()).isTrue();
    assertThat(lines.get(1).bytes()).hasSize(1000);
    assertThat(lines.get(1).length()).isEqualTo(200_000);
    assertThat(new String(lines.get(2).bytes(), StandardCharsets.UTF_8)).isEqualTo("after");
  }

  @Test
  void aLineExactlyAtTheBoundIsNotTooLong() throws IOException {
    List<LineReader.Line> lines = read("12345\n123456\n", 5);

    assertThat(lines.get(0).tooLong()).isFalse();
    assertThat(lines.get(1).tooLong()).isTrue();
  }

  private static List<LineReader.Line> read(String text, int max) throws IOException {
    List<LineReader.Line> lines = new ArrayList<>();
    try (LineReader reader =
        new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), max)) {
      for (LineReader.Line l = reader.next(); l != null; l = reader.next()) {
        lines.add(l);
      }
    }
    return lines;
  }
}
