package dev.refinery.tokenizer;

import dev.refinery.schemas.Licence;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import java.util.Objects;

/** The source of a document, flat, as Flink state and shuffles keep it (a Flink POJO). */
public class SpanSource {
  public String name;
  public String kind;
  public String spdxId;
  public String licensor;
  public String terms;
  public String stream;

  public SpanSource() {}

  static SpanSource of(Source source) {
    SpanSource s = new SpanSource();
    s.name = source.getName();
    s.kind = source.getKind().name();
    s.spdxId = source.getLicence().getSpdxId();
    s.licensor = source.getLicence().getLicensor();
    s.terms = source.getLicence().getTerms();
    s.stream = source.getStream();
    return s;
  }

  Source toSource() {
    SourceKind k;
    try {
      k = SourceKind.valueOf(kind);
    } catch (IllegalArgumentException | NullPointerException e) {
      k = SourceKind.UNKNOWN;
    }
    return Source.newBuilder()
        .setName(name)
        .setKind(k)
        .setLicence(
            Licence.newBuilder().setSpdxId(spdxId).setLicensor(licensor).setTerms(terms).build())
        .setStream(stream)
        .build();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpanSource s
        && Objects.equals(name, s.name)
        && Objects.equals(kind, s.kind)
        && Objects.equals(spdxId, s.spdxId)
        && Objects.equals(licensor, s.licensor)
        && Objects.equals(terms, s.terms)
        && Objects.equals(stream, s.stream);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, kind, spdxId, licensor, terms, stream);
  }
}
