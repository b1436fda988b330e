package dev.refinery.dedup;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.Licence;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import java.time.Instant;

/** Documents for the dedup-filter tests. */
final class Docs {
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
        .setIngestedAt(Instant.parse("2026-11-22T00:00:00Z"))
        .setText(text)
        .build();
  }

  /** A text of {@code n} distinct words. */
  static String words(String seed, int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : " ").append(seed).append(i);
    }
    return b.toString();
  }
}
