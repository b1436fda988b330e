package dev.refinery.dedup.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SafetyRuleTest {
  final SafetyRule rule =
      new SafetyRule(
          Map.of("weapons", List.of("nerve agent", "pipe bomb"), "spam", List.of("casino bonus")),
          Map.of("bad.example", "malware", "https://forum.example.org/leaks/", "privacy"),
          2);

  @Test
  void recordsCategoriesBelowTheThresholdAndRejectsAtIt() {
    Screened one =
        new Screened("The report on the nerve agent attack was published.", null, "test");
    assertThat(rule.apply(one)).isEmpty();
    assertThat(one.attributes()).containsEntry("safety_categories", "weapons");
    assertThat(one.signals()).containsEntry("safety_weapons", 1.0);

    Screened two = new Screened("Nerve  agent here, and a PIPE BOMB there.", null, "test");
    assertThat(rule.apply(two))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("SAFETY_LEXICON");
              assertThat(r.rule()).isEqualTo("safety");
              assertThat(r.measured()).isEqualTo(2.0);
              assertThat(r.threshold()).isEqualTo(2.0);
              assertThat(r.detail()).contains("weapons", "nerve  agent", "pipe bomb");
            });
  }

  @Test
  void termsMatchWholeWordsOnly() {
    Screened doc = new Screened("A casinobonus and casino bonuses are not the term.", null, "test");
    assertThat(rule.apply(doc)).isEmpty();
    assertThat(doc.attributes()).doesNotContainKey("safety_categories");
  }

  @Test
  void blockedDomainsSubdomainsAndPrefixes() {
    assertThat(rule.apply(new Screened("fine text", "https://www.bad.example/page", "test")))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("SAFETY_URL_BLOCKLIST");
              assertThat(r.detail()).contains("malware", "bad.example");
            });
    assertThat(rule.apply(new Screened("fine text", "https://forum.example.org/leaks/123", "test")))
        .isPresent();
    assertThat(rule.apply(new Screened("fine text", "https://forum.example.org/news/123", "test")))
        .isEmpty();
    assertThat(rule.apply(new Screened("fine text", "https://notbad.example/", "test"))).isEmpty();
  }
}
