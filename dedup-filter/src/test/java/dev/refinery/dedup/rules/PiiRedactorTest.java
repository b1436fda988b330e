package dev.refinery.dedup.rules;

import static dev.refinery.dedup.rules.Texts.screened;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PiiRedactorTest {
  final PiiRedactor rule = new PiiRedactor();

  private Screened redact(String text) {
    Screened doc = screened(text);
    assertThat(rule.apply(doc)).as("PII is redacted, never rejected").isEmpty();
    return doc;
  }

  @Test
  void replacesEachKindWithItsPlaceholderAndCountsIt() {
    Screened doc =
        redact(
            "Write to jane.doe+news@example.co.uk or call +1 415-555-0132. "
                + "Card 4111 1111 1111 1111, SSN 123-45-6789, server 93.184.216.34 and 2606:4700:4700::1111.");
    assertThat(doc.text())
        .isEqualTo(
            "Write to [EMAIL_ADDRESS] or call [PHONE_NUMBER]. "
                + "Card [CREDIT_CARD], SSN [US_SSN], server [IP_ADDRESS] and [IP_ADDRESS].");
    assertThat(doc.signals())
        .containsEntry("pii_email_address", 1.0)
        .containsEntry("pii_phone_number", 1.0)
        .containsEntry("pii_credit_card", 1.0)
        .containsEntry("pii_us_ssn", 1.0)
        .containsEntry("pii_ip_address", 2.0);
  }

  @Test
  void cardNumbersMustPassTheLuhnCheck() {
    assertThat(PiiRedactor.isCard("4111111111111111")).isTrue();
    assertThat(PiiRedactor.isCard("4111111111111112")).isFalse();
    assertThat(PiiRedactor.isCard("5500-0000-0000-0004")).isTrue();
    // 12 digits is too short for a card
    assertThat(PiiRedactor.isCard("411111111116")).isFalse();
    assertThat(redact("Order 4111 1111 1111 1112 shipped.").text())
        .isEqualTo("Order 4111 1111 1111 1112 shipped.");
  }

  @Test
  void socialSecurityNumbersFollowTheSsaRules() {
    assertThat(PiiRedactor.isSsn("123-45-6789")).isTrue();
    assertThat(PiiRedactor.isSsn("000-45-6789")).isFalse();
    assertThat(PiiRedactor.isSsn("666-45-6789")).isFalse();
    assertThat(PiiRedactor.isSsn("900-45-6789")).isFalse();
    assertThat(PiiRedactor.isSsn("123-00-6789")).isFalse();
    assertThat(PiiRedactor.isSsn("123-45-0000")).isFalse();
  }

  @Test
  void privateAndDocumentationAddressesStay() {
    String text =
        "Routers at 192.168.1.1, 10.0.0.7, 127.0.0.1, 172.16.5.4, 169.254.0.1, 192.0.2.10 and fe80::1 "
            + "and fd00::5 and 2001:db8::7.";
    Screened doc = redact(text);
    assertThat(doc.text()).isEqualTo(text);
    assertThat(doc.signals()).containsEntry("pii_ip_address", 0.0);
    assertThat(PiiRedactor.isPublicIp("8.8.8.8")).isTrue();
    assertThat(PiiRedactor.isPublicIp("2606:4700:4700::1111")).isTrue();
  }

  @Test
  void versionsDatesAndShortNumbersAreNotPii() {
    String text =
        "Version 1.2.3.4.5 shipped on 2024-03-15; call ext. 4412 or room 12-34. Time 10:30:45. "
            + "ISBN 978-3-16-148410-0.";
    assertThat(redact(text).text()).isEqualTo(text);
  }

  @Test
  void textWithoutPiiIsLeftAsItIs() {
    Screened doc = redact("Nothing personal here.");
    assertThat(doc.text()).isEqualTo("Nothing personal here.");
    assertThat(doc.signals()).containsEntry("pii_email_address", 0.0);
  }
}
