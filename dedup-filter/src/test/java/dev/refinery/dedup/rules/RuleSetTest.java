package dev.refinery.dedup.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.dedup.DedupFilterConfig;
import dev.refinery.infra.text.SyntheticText;
import dev.refinery.schemas.SourceKind;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class RuleSetTest {
  static RuleSet rules(Map<String, String> settings) {
    return RuleSet.from(new DedupFilterConfig(new HashMap<>(settings)));
  }

  static Screened doc(String text, String source) {
    return new Screened(text, null, source);
  }

  @Test
  void eachKindOfSourceHasItsRulesInFineWebOrder() {
    RuleSet rules = rules(Map.of());
    assertThat(rules.rulesFor("x", SourceKind.PUBLIC_WEB))
        .extracting(Rule::name)
        .containsExactlyElementsOf(RuleSet.ORDER);
    assertThat(rules.rulesFor("x", SourceKind.BOOKS))
        .extracting(Rule::name)
        .containsExactly("language", "gopher_repetition", "safety", "pii");
    assertThat(rules.rulesFor("x", SourceKind.CODE))
        .extracting(Rule::name)
        .containsExactly("safety", "pii");
  }

  @Test
  void aSourceOrAKindCanNameItsOwnRulesInAnyOrder() {
    RuleSet rules =
        rules(
            Map.of(
                DedupFilterConfig.RULES_SOURCE + "acme-books", "pii, gopher_quality",
                DedupFilterConfig.RULES_KIND + "code", "none"));
    assertThat(rules.rulesFor("acme-books", SourceKind.BOOKS))
        .extracting(Rule::name)
        .containsExactly("gopher_quality", "pii");
    assertThat(rules.rulesFor("other-books", SourceKind.BOOKS))
        .extracting(Rule::name)
        .contains("gopher_repetition");
    assertThat(rules.rulesFor("x", SourceKind.CODE)).isEmpty();
    // a short text that the web rules refuse passes a source with no quality rules
    String shortText = "Only a few words here.";
    assertThat(rules.screen(doc(shortText, "web"), SourceKind.PUBLIC_WEB))
        .hasValueSatisfying(r -> assertThat(r.rule()).isEqualTo("gopher_quality"));
    assertThat(rules.screen(doc(shortText, "code"), SourceKind.CODE)).isEmpty();
  }

  @Test
  void unknownRulesAndKindsAreConfigurationErrorsThatNameTheSetting() {
    assertThatThrownBy(() -> rules(Map.of(DedupFilterConfig.RULES_SOURCE + "web", "gopher,c4")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dedup.rules.source.web")
        .hasMessageContaining("no rule 'gopher'");
    assertThatThrownBy(() -> rules(Map.of(DedupFilterConfig.RULES_KIND + "novels", "c4")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("no source kind 'novels'");
  }

  @Test
  void qualityRulesApplyOnlyToTheirLanguages() {
    RuleSet rules = rules(Map.of());
    // a German text of a few words: the English quality rules (50 words and so on) are not applied
    String german = LanguageRuleTest.GERMAN;
    Screened de = doc(german, "web");
    assertThat(rules.screen(de, SourceKind.PUBLIC_WEB)).isEmpty();
    assertThat(de.attributes()).containsEntry("language", "de");
    assertThat(de.signals()).doesNotContainKey("gopher_words");
    // with the quality rules for every language, it is too short
    RuleSet all = rules(Map.of(DedupFilterConfig.QUALITY_LANGUAGES, ""));
    assertThat(all.screen(doc(german, "web"), SourceKind.PUBLIC_WEB))
        .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo("GOPHER_SHORT_DOC"));
    // English prose passes everything
    assertThat(rules.screen(doc(SyntheticText.text(9, 4), "web"), SourceKind.PUBLIC_WEB)).isEmpty();
  }

  @Test
  void safetySettingsComeInlineOrFromFiles() throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("lexicon", ".tsv");
    java.nio.file.Files.writeString(file, "# category<TAB>term\nweapons\tpipe bomb\n");
    RuleSet rules =
        rules(
            Map.of(
                DedupFilterConfig.SAFETY_LEXICON_FILE,
                file.toString(),
                DedupFilterConfig.SAFETY_BLOCKLIST,
                "malware:bad.example"));
    Screened doc =
        new Screened(SyntheticText.text(4, 3) + " A pipe bomb.", "https://ok.example/", "web");
    assertThat(rules.screen(doc, SourceKind.CODE))
        .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo("SAFETY_LEXICON"));
    java.nio.file.Files.writeString(file, "weapons pipe bomb\n");
    assertThatThrownBy(() -> rules(Map.of(DedupFilterConfig.SAFETY_LEXICON_FILE, file.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("line 1 is not category<TAB>value");
    assertThatThrownBy(() -> rules(Map.of(DedupFilterConfig.SAFETY_BLOCKLIST, "bad.example")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("category:value");
  }
}
