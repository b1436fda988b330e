package dev.refinery.ingest;

import dev.refinery.schemas.Licence;
import dev.refinery.schemas.Licences;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.Topics;
import java.util.Objects;

/**
 * A declared source: its name, kind, licence and the token stream it feeds. Ingest refuses
 * documents of a source that was not declared.
 *
 * @param spdxId SPDX id of an open licence, or {@code null}
 * @param licensor who granted a licensed collection, or {@code null}
 * @param terms contract or terms reference, required for {@link SourceKind#LICENSED}
 */
public record SourceDeclaration(
    String name, SourceKind kind, String spdxId, String licensor, String terms, String stream) {

  public SourceDeclaration {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Topics.checkStream(stream);
  }

  /** The provenance every document of this source carries. */
  public Source toSource() {
    return Source.newBuilder()
        .setName(name)
        .setKind(kind)
        .setLicence(
            Licence.newBuilder().setSpdxId(spdxId).setLicensor(licensor).setTerms(terms).build())
        .setStream(stream)
        .build();
  }

  /** Licence in one line, for summaries. */
  public String licenceLabel() {
    return Licences.label(toSource().getLicence());
  }
}
