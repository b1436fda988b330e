package dev.refinery.dedup;

import dev.refinery.infra.text.SyntheticText;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.Licence;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import java.time.Instant;

/** Documents for the dedup-filter tests. */
final class Docs {
  static final Instant INGESTED = Instant.parse("2026-11-22T00:00:00Z");

  private Docs() {}

  static Document doc(String nativeId, String text) {
    return Document.newBuilder()
        .setId(DocumentIds.of("test", nativeId))
        .setSource(
            Source.newBuilder()
                .setName("test")
                .setKind(SourceKind.PUBLIC_WEB)
                .setLicence(Licence.newBuilder().setSpdxId("CC0-1.0").build())
                .setStream("web")
                .build())
        .setNativeId(nativeId)
        .setIngestedAt(INGESTED)
        .setText(text)
        .build();
  }

  /** A web document of English prose that passes every default rule. */
  static Document prose(String nativeId, long seed) {
    return doc(nativeId, SyntheticText.text(seed, 10));
  }

  /** The document with its fetch time {@code minutes} after the ingest time: its event time. */
  static Document fetched(Document doc, int minutes) {
    doc.setFetchedAt(INGESTED.plusSeconds(60L * minutes));
    return doc;
  }

  /** The text with one word in every {@code every} replaced: a near-duplicate. */
  static String edited(String text, int every) {
    String[] words = text.split(" ");
    for (int i = every / 2; i < words.length; i += every) {
      words[i] = words[i].endsWith(".") ? "changed." : "changed";
    }
    return String.join(" ", words);
  }
}
