package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QualitySignalsTest {

  @Test
  void countsWordsLinesAndCharacters() {
    QualitySignals s = QualitySignals.of("one two  three\nfour\n");

    assertThat(s.words()).isEqualTo(4);
    assertThat(s.lines()).isEqualTo(3);
    assertThat(s.chars()).isEqualTo(20);
    assertThat(s.meanWordLength()).isEqualTo(15.0 / 4);
  }

  @Test
  void emptyTextHasNothing() {
    assertThat(QualitySignals.of("")).isEqualTo(new QualitySignals(0, 0, 0, 0));
  }
}
