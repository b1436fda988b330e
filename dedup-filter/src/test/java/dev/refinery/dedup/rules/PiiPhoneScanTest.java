package dev.refinery.dedup.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Looking for phone candidates only where one can start finds and replaces exactly what a scan of
 * every position did, on random text made of the pieces phone numbers and their look-alikes are.
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
}
