package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextFingerprintTest {

  @Test
  void normalizesCaseWhiteSpaceAndUnicodeComposition() {
    assertThat(TextFingerprint.normalize("  Hello,\t\tWORLD \n\u00A0again "))
        .isEqualTo("hello, world again");
    // e + combining acute (NFD) is é (NFC); the full-width Ａ is A under NFKC
    assertThat(TextFingerprint.of("Cafe\u0301 \uFF21")).isEqualTo(TextFingerprint.of("café a"));
  }

  @Test
  void differentTextDifferentFingerprint() {
    assertThat(TextFingerprint.of("Today is Sunday and it's a happy day!"))
        .isNotEqualTo(TextFingerprint.of("Today is sunday and it's really a happy day!"))
        .hasSize(32);
  }
}
