package dev.refinery.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DocumentIdsTest {

  @Test
  void matchesTheDocumentedFormulaAsPythonComputesIt() {
    // python3: hashlib.sha256(b'common-crawl\x00http://example.com/a').hexdigest()[:32]
    assertThat(DocumentIds.of("common-crawl", "http://example.com/a"))
        .isEqualTo("09acb8ce755913bc957ca1c83a5b3de7");
    // the native id of content is "sha256:" + the hex digest of its UTF-8 bytes
    assertThat(DocumentIds.forContent("acme-books", "héllo"))
        .isEqualTo("582117ca42804a68073eeca7946e342d");
  }

  @Test
  void sameInputSameIdOtherSourceOtherId() {
    assertThat(DocumentIds.of("a", "x")).isEqualTo(DocumentIds.of("a", "x"));
    assertThat(DocumentIds.of("a", "x")).isNotEqualTo(DocumentIds.of("b", "x"));
    assertThat(DocumentIds.of("ab", "c")).isNotEqualTo(DocumentIds.of("a", "bc"));
  }

  @Test
  void refusesMissingParts() {
    assertThatThrownBy(() -> DocumentIds.of("", "x")).hasMessageContaining("source name");
    assertThatThrownBy(() -> DocumentIds.of("a", null)).hasMessageContaining("native id");
  }
}
