package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.schemas.SourceKind;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class SourceRegistryTest {

  @Test
  void readsDeclarationsAndTheirStreams() {
    SourceRegistry registry =
        SourceRegistry.fromConfig(
            Map.of(
                "sources.cc-2024.kind", "public_web",
                "sources.cc-2024.licence", "LicenseRef-CommonCrawl-ToU",
                "sources.cc-2024.stream", "web",
                "sources.acme-books.kind", "licensed",
                "sources.acme-books.licensor", "Acme Publishing",
                "sources.acme-books.terms", "contract 2026-17",
                "sources.acme-books.stream", "books",
                "bootstrap.servers", "ignored:9092"));

    SourceDeclaration books = registry.get("acme-books");
    assertThat(books.kind()).isEqualTo(SourceKind.LICENSED);
    assertThat(books.toSource().getLicence().getTerms()).isEqualTo("contract 2026-17");
    assertThat(registry.get("cc-2024").toSource().getLicence().getSpdxId())
        .isEqualTo("LicenseRef-CommonCrawl-ToU");
    assertThat(registry.streams()).containsExactly("books", "web");
  }

  @Test
  void licensedSourceWithoutTermsNamesTheSetting() {
    assertThatThrownBy(
            () ->
                SourceRegistry.fromConfig(
                    Map.of("sources.acme.kind", "licensed", "sources.acme.licence", "CC-BY-4.0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("sources.acme.terms");
  }

  @Test
  void everySourceNeedsKindAndLicence() {
    assertThatThrownBy(() -> SourceRegistry.fromConfig(Map.of("sources.x.licence", "MIT")))
        .hasMessageContaining("sources.x.kind");
    assertThatThrownBy(() -> SourceRegistry.fromConfig(Map.of("sources.x.kind", "code")))
        .hasMessageContaining("sources.x.licence");
    assertThatThrownBy(
            () ->
                SourceRegistry.fromConfig(
                    Map.of("sources.x.kind", "poetry", "sources.x.licence", "MIT")))
        .hasMessageContaining("sources.x.kind")
        .hasMessageContaining("public_web");
    assertThatThrownBy(
            () ->
                SourceRegistry.fromConfig(
                    Map.of(
                        "sources.x.kind",
                        "code",
                        "sources.x.licence",
                        "MIT",
                        "sources.x.stream",
                        "Bad Stream")))
        .hasMessageContaining("sources.x.stream");
    assertThatThrownBy(() -> SourceRegistry.fromConfig(Map.of("sources.x.licnce", "MIT")))
        .hasMessageContaining("sources.x.licnce");
  }

  @Test
  void undeclaredSourceIsRefusedListingTheDeclaredOnes() {
    SourceRegistry registry =
        SourceRegistry.fromConfig(Map.of("sources.a.kind", "code", "sources.a.licence", "MIT"));

    assertThatThrownBy(() -> registry.get("b"))
        .hasMessageContaining("'b' is not declared")
        .hasMessageContaining("[a]");
  }
}
