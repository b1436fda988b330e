package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.TakedownScope;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TakedownsTest {
  static Takedown takedown(TakedownScope scope, String value) {
    return Takedown.newBuilder()
        .setScope(scope)
        .setValue(value)
        .setReason("legal request")
        .setRequestedAt(Instant.parse("2026-11-22T00:00:00Z"))
        .build();
  }

  @Test
  void aUrlIsLookedUpAtEachPrefixThatEndsAPathSegment() {
    assertThat(Takedowns.prefixes("HTTPS://Example.org/a/b/page.html?x=1#top"))
        .containsExactly(
            "https://example.org",
            "https://example.org/",
            "https://example.org/a/",
            "https://example.org/a/b/",
            "https://example.org/a/b/page.html?x=1");
    assertThat(Takedowns.prefixes("not a url")).containsExactly("not a url");
  }

  @Test
  void matchesByDocIdSourceOrUrlPrefix() {
    Map<String, Takedown> store = new HashMap<>();
    Takedown prefix = takedown(TakedownScope.URL_PREFIX, "https://EXAMPLE.org/private/");
    store.put(Takedowns.key(prefix), prefix);
    Document doc = Docs.doc("a", "text");
    doc.setUrl("https://example.org/private/2024/page");
    assertThat(Takedowns.match(doc, store::get)).isEqualTo(prefix);
    doc.setUrl("https://example.org/privately/page");
    assertThat(Takedowns.match(doc, store::get)).isNull();

    Takedown source = takedown(TakedownScope.SOURCE, "test");
    store.put(Takedowns.key(source), source);
    assertThat(Takedowns.match(doc, store::get)).isEqualTo(source);
    Takedown id = takedown(TakedownScope.DOC_ID, doc.getId());
    store.put(Takedowns.key(id), id);
    assertThat(Takedowns.match(doc, store::get)).isEqualTo(id);
  }

  @Test
  void keysNormalizeUrlPrefixesOnly() {
    assertThat(Takedowns.key(takedown(TakedownScope.URL_PREFIX, "HTTP://Host.Example/Path")))
        .isEqualTo("URL_PREFIX:http://host.example/Path");
    assertThat(Takedowns.key(takedown(TakedownScope.SOURCE, "Web-Crawl")))
        .isEqualTo("SOURCE:Web-Crawl");
    assertThat(Takedowns.normalizeKey("URL_PREFIX:HTTP://Host.Example/"))
        .isEqualTo("URL_PREFIX:http://host.example/");
  }
}
