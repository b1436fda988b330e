package dev.refinery.dedup.rules;

import static dev.refinery.dedup.rules.Texts.screened;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.text.SyntheticText;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LanguageRuleTest {
  static final String GERMAN =
      "Die Stadtverwaltung hat am Dienstag beschlossen, die alte Brücke über den Fluss "
          + "im kommenden Frühjahr zu erneuern. Die Bürger wurden zu einer Versammlung im Rathaus eingeladen, "
          + "um ihre Meinung zu den Plänen zu äußern.";
  static final String FRENCH =
      "Le conseil municipal a décidé mardi de rénover le vieux pont sur la rivière au "
          + "printemps prochain. Les habitants sont invités à une réunion à la mairie pour donner leur avis.";

  @Test
  void labelsTheLanguageAndItsConfidence() {
    Screened doc = screened(SyntheticText.text(1, 2));
    assertThat(new LanguageRule(Set.of(), 0.05, 1000).apply(doc)).isEmpty();
    assertThat(doc.language()).isEqualTo("en");
    assertThat(doc.attributes()).containsEntry("language", "en");
    assertThat(doc.signals().get("language_confidence")).isGreaterThan(0.65);

    Screened german = screened(GERMAN);
    new LanguageRule(Set.of(), 0.05, 1000).apply(german);
    assertThat(german.language()).isEqualTo("de");
  }

  @Test
  void rejectsLanguagesNotAllowed() {
    LanguageRule englishOnly = new LanguageRule(Set.of("en"), 0.05, 1000);
    assertThat(englishOnly.apply(screened(FRENCH)))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("LANGUAGE_NOT_ALLOWED");
              assertThat(r.rule()).isEqualTo("language");
              assertThat(r.detail()).startsWith("language fr ");
            });
    assertThat(new LanguageRule(Set.of("en", "fr"), 0.05, 1000).apply(screened(FRENCH))).isEmpty();
  }

  @Test
  void withEveryLanguageAllowedItLabelsAndNeverRefuses() {
    // a licence file, code comments, a list of names: an unsure label is no reason to drop them
    for (String text :
        new String[] {
          SyntheticText.text(3, 1),
          "Files: *\nCopyright: 2004-2012 Jane Roe <jane@example.org>\nLicense: GPL-2+\n This"
              + " package is free software; you can redistribute it and/or modify it under the terms"
              + " of the GNU General Public License.",
          "¿Cómo convierto un string a int en Java? Intenté Integer.parseInt(s) pero me da"
              + " NumberFormatException cuando el valor viene vacío."
        }) {
      Screened doc = screened(text);
      assertThat(new LanguageRule(Set.of(), 1.0, 1000).apply(doc)).as(text).isEmpty();
      assertThat(doc.attributes()).containsKey("language");
      assertThat(doc.signals()).containsKey("language_confidence");
    }
  }

  @Test
  void rejectsBelowTheConfidenceThresholdWhenOnlySomeLanguagesAreAllowed() {
    Screened doc = screened(SyntheticText.text(3, 1));
    new LanguageRule(Set.of("en"), 0, 1000).apply(doc);
    double confidence = doc.signals().get("language_confidence");
    // at the measured confidence the document passes; just above it, it does not
    assertThat(
            new LanguageRule(Set.of("en"), confidence, 1000)
                .apply(screened(SyntheticText.text(3, 1))))
        .isEmpty();
    assertThat(
            new LanguageRule(Set.of("en"), Math.nextUp(confidence), 1000)
                .apply(screened(SyntheticText.text(3, 1))))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("LANGUAGE_LOW_CONFIDENCE");
              assertThat(r.measured()).isEqualTo(confidence);
            });
  }

  @Test
  void textTooShortToTellIsUndeterminedAndPassesUnlessUndIsLeftOut() {
    Screened doc = screened("Too short to tell. 12345 !!!");
    assertThat(new LanguageRule(Set.of(), 0.05, 1000).apply(doc)).isEmpty();
    assertThat(doc.language()).isEqualTo("und");
    assertThat(doc.signals()).containsEntry("language_confidence", 0.0);
    assertThat(new LanguageRule(Set.of("en"), 0.05, 1000).apply(screened("Too short to tell.")))
        .hasValueSatisfying(
            r -> {
              assertThat(r.reason()).isEqualTo("LANGUAGE_NOT_ALLOWED");
              assertThat(r.detail())
                  .startsWith("too little text to identify (14 letters, 50 needed)");
            });
    assertThat(
            new LanguageRule(Set.of("en", "und"), 0.05, 1000).apply(screened("Too short to tell.")))
        .isEmpty();
  }

  @Test
  void aWordListInSeveralLanguagesIsUnclear() {
    Screened list =
        screened(
            "Menu: pasta carbonara, pizza margherita, tiramisu, espresso, cappuccino, "
                + "croissant, baguette, bratwurst, sauerkraut, paella, tapas, sushi, ramen.");
    // where only some languages are kept, an unclear label is refused: it may be one left out
    assertThat(
            new LanguageRule(Set.of("en", "it", "fr", "de", "es", "ja", "la"), 0.65, 1000)
                .apply(list))
        .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo("LANGUAGE_LOW_CONFIDENCE"));
    // where every language is kept, it is labelled and kept
    assertThat(new LanguageRule(Set.of(), 0.65, 1000).apply(screened(list.text()))).isEmpty();
  }
}
