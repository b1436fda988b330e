package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A pushed body's blankness, told without decoding it, is {@link String#isBlank}'s. */
class IngestServerBlankTest {
  @Test
  void blankAsStringIsBlankHasIt() {
    String[] bodies = {
      "",
      " ",
      "\t\n\r\u000b\f\u001c\u001f",
      " \u3000\u2003\n",
      "\u00a0",
      " {}",
      "x",
      "\n\n{\"text\": \"a\"}\n",
      " \u3000x",
      "\u00e9",
      "\u0000",
      " \u0085"
    };
    for (String body : bodies) {
      assertThat(IngestServer.isBlank(body.getBytes(StandardCharsets.UTF_8)))
          .as("%s", body.codePoints().mapToObj(Integer::toHexString).toList())
          .isEqualTo(body.isBlank());
    }
    // not UTF-8: decoded as the old check decoded it
    byte[] garbage = {' ', (byte) 0xff, (byte) 0xfe};
    assertThat(IngestServer.isBlank(garbage))
        .isEqualTo(new String(garbage, StandardCharsets.UTF_8).isBlank());
  }
}
