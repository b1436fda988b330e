package dev.refinery.dedup.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Looking for phone candidates, and every other kind, only where one can start finds and replaces
 * exactly what a scan of every position did, on random text made of the pieces PII and its
 * look-alikes are.
 */
class PiiPhoneScanTest {
  static final String[] PIECES = {
    "0",
    "1",
    "2",
    "5",
    "7",
    "9",
    "00",
    "+",
    "+1",
    "+49",
    "+44 ",
    "(0)",
    "(030)",
    "(",
    ")",
    " ",
    "-",
    ".",
    ",",
    "/",
    "@",
    "#",
    "_",
    "tel: ",
    "Phone ",
    "call ",
    "ISBN ",
    "order ",
    "x",
    "ab",
    "é",
    "\n",
    "555",
    "0123",
    "4567",
    "2024-01-31",
    "\u0663",
    "1.2.3.4"
  };

  @Test
  void skippingToWhereACandidateCanStartFindsTheSameNumbers() {
    Random random = new Random(16);
    int replaced = 0;
    for (int round = 0; round < 5_000; round++) {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(30); i > 0; i--) {
        text.append(PIECES[random.nextInt(PIECES.length)]);
      }
      int[] everywhere = new int[5];
      int[] skipping = new int[5];
      String expected = PiiRedactor.phones(text.toString(), everywhere, false);
      assertThat(PiiRedactor.phones(text.toString(), skipping, true))
          .as("[%s]", text)
          .isEqualTo(expected);
      assertThat(skipping).isEqualTo(everywhere);
      replaced += everywhere[4];
    }
    assertThat(replaced).as("the pieces make phone numbers too").isGreaterThan(50);
  }

  static final String[] EVERY_KIND = {
    "a@b.co",
    "x.y@ex-ample.org",
    "@",
    "@@",
    ".",
    "-",
    "user",
    "é",
    "日本",
    "192.168.1.1",
    "8.8.8.8",
    "8.8",
    "4111 1111 1111 1111",
    "4111111111111111",
    "123-45-6789",
    "123 45 6789",
    "SSN: ",
    "078051120",
    "2001:db8::1",
    "2606:4700::1111",
    ":",
    "::",
    "12:30",
    "beef:",
    "ABCD:",
    "deadbeef:1",
    "a:",
    "f",
    "version ",
    "v",
    ".com",
    " ",
    "\n",
    "0",
    "7",
    "+1 ",
    "(212) ",
    "555-0100"
  };

  @Test
  void skippingToWhereAMatchCanStartFindsTheSamePiiOfEveryKind() {
    Random random = new Random(17);
    int[] found = new int[5];
    for (int round = 0; round < 5_000; round++) {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(30); i > 0; i--) {
        // now and then a long run without an @, so that an address can start far before one
        text.append(
            random.nextInt(40) == 0
                ? "z".repeat(random.nextInt(90))
                : EVERY_KIND[random.nextInt(EVERY_KIND.length)]);
      }
      int[] everywhere = new int[5];
      int[] skipping = new int[5];
      String expected = PiiRedactor.redact(text.toString(), everywhere, false);
      assertThat(PiiRedactor.redact(text.toString(), skipping, true))
          .as("[%s]", text)
          .isEqualTo(expected);
      assertThat(skipping).as("[%s]", text).isEqualTo(everywhere);
      for (int k = 0; k < 5; k++) {
        found[k] += everywhere[k];
      }
    }
    for (int k = 0; k < 5; k++) {
      assertThat(found[k]).as("the pieces make PII of kind %d", k).isGreaterThan(20);
    }
  }
}
