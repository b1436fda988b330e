package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class KnownSampleTest {
  @Test
  void theCompactFormGivesTheSampleBackWhole() {
    List<KnownSample> samples =
        List.of(
            new KnownSample(
                "p1", List.of("c1", "c2"), List.of(KnownSample.textHash("a"), Long.MIN_VALUE)),
            // ids beyond ASCII, an id longer than a one-byte length, hashes of every sign
            new KnownSample(
                "prompt-é-漢-😀",
                List.of("x".repeat(300), "", "完成-2"),
                List.of(-1L, 0L, Long.MAX_VALUE)),
            new KnownSample("", List.of(), List.of()));
    for (KnownSample sample : samples) {
      byte[] compact = sample.toCompact();
      assertThat(KnownSample.ofCompact(compact)).isEqualTo(sample);
    }
    // two UUID completions: their ids, hashes and the prompt id, with a length byte each
    KnownSample uuids =
        new KnownSample(
            "7f6c1a0e-3d2b-4c5a-9e8f-0a1b2c3d4e5f",
            List.of("1b4e28ba-2fa1-11d2-883f-0016d3cca427", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
            List.of(1L, 2L));
    assertThat(uuids.toCompact()).hasSize(37 + 1 + 2 * (37 + 8));
  }
}
