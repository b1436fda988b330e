package dev.refinery.dedup.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The identifier's labels, probabilities and what it does with text it cannot read. */
class LanguageIdentifierTest {
  private final LanguageIdentifier id = LanguageIdentifier.shared();

  @Test
  void labelsTextInManyScriptsWithAProbability() {
    Map<String, String> texts =
        Map.ofEntries(
            Map.entry("en", "The committee will meet again next week to discuss the budget."),
            Map.entry("de", LanguageRuleTest.GERMAN),
            Map.entry("fr", LanguageRuleTest.FRENCH),
            Map.entry("es", "El ayuntamiento aprobó ayer la construcción de una nueva biblioteca."),
            Map.entry(
                "pl", "Rada miasta zdecydowała wczoraj o budowie nowej biblioteki publicznej."),
            Map.entry("ru", "Городской совет вчера одобрил строительство новой библиотеки."),
            Map.entry("ar", "وافق مجلس المدينة أمس على بناء مكتبة عامة جديدة في وسط المدينة."),
            Map.entry(
                "hi", "नगर परिषद ने कल शहर के केंद्र में एक नए पुस्तकालय के निर्माण को मंजूरी दी।"),
            Map.entry("el", "Το δημοτικό συμβούλιο ενέκρινε χθες την κατασκευή νέας βιβλιοθήκης."),
            Map.entry("ja", "市議会は昨日、新しい図書館の建設を承認しました。"),
            Map.entry("zh", "市议会昨天批准在市中心建造一座新的公共图书馆。"),
            Map.entry("ko", "시의회는 어제 새 도서관 건설을 승인했습니다."));
    texts.forEach(
        (code, text) -> {
          LanguageIdentifier.Guess g = id.identify(text);
          assertThat(g).as(text).isNotNull();
          assertThat(g.code()).as(text).isEqualTo(code);
          assertThat(g.probability()).as(text).isBetween(0.5, 1.0);
        });
  }

  /**
   * The set of trigrams a thread keeps between calls is empty again after each: what a text says
   * does not depend on the texts read before it, long or short.
   */
  @Test
  void theEvidenceOfATextDoesNotDependOnTheTextsBefore() {
    String shortText = "Ein kurzer Satz über das Wetter.";
    LanguageIdentifier.Evidence alone = id.evidence(shortText);
    id.evidence(LanguageRuleTest.FRENCH.repeat(40)); // a larger table than the short text's
    id.evidence(LanguageRuleTest.GERMAN);
    LanguageIdentifier.Evidence after = id.evidence(shortText);
    assertThat(after.trigrams()).isEqualTo(alone.trigrams());
    assertThat(after.gains()).containsExactly(alone.gains());
    assertThat(id.evidence("1234 5678 !!")).isNull();
  }

  @Test
  void theProbabilitiesAreADistribution() {
    double[] p = id.probabilities("Ceci est une phrase en français, assez courte.");
    assertThat(p).hasSize(id.codes().size());
    double sum = 0;
    for (double v : p) {
      assertThat(v).isBetween(0.0, 1.0);
      sum += v;
    }
    assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void textWithoutALetterTrigramHasNoLabel() {
    for (String text :
        new String[] {"", "12345 67890 !!! ???", "\u0000\uFFFF\uD800", "a b c d e"}) {
      assertThat(id.identify(text)).as(text).isNull();
    }
    // a lone surrogate or an emoji among the words does not break the reading
    assertThat(id.identify("Das ist ein kurzer deutscher Satz \uD83D\uDE00 mit einem Bild.").code())
        .isEqualTo("de");
  }
}
