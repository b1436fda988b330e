package dev.refinery.runtime.takedowns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.TakedownScope;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TakedownsTest {
  /** A document of source test with id a, as far as takedowns look at it. */
  private static final class Doc {
    String url;
  }

  static Takedown takedown(TakedownScope scope, String value) {
    return Takedown.newBuilder()
        .setScope(scope)
        .setValue(value)
        .setReason("legal request")
        .setRequestedAt(Instant.parse("2026-11-22T00:00:00Z"))
        .build();
  }

  /** A store as the global takedown store is: keys in byte order, for range scans. */
  static Takedowns.Store store(java.util.NavigableMap<String, Takedown> map) {
    return Takedowns.Store.of(map);
  }

  @Test
  void aUrlPrefixIsAStringPrefixOfTheNormalizedUrl() {
    java.util.NavigableMap<String, Takedown> map = new java.util.TreeMap<>();
    Takedown asyncio =
        takedown(TakedownScope.URL_PREFIX, "https://docs.python.org/3/library/asyncio");
    map.put(Takedowns.key(asyncio), asyncio);
    Doc doc = new Doc();
    for (String covered :
        new String[] {
          "https://docs.python.org/3/library/asyncio",
          "https://docs.python.org/3/library/asyncio-eventloop.html",
          "HTTPS://DOCS.python.org/3/library/asyncio/task.html#x"
        }) {
      doc.url = covered;
      assertThat(Takedowns.match("a", "test", doc.url, store(map))).as(covered).isEqualTo(asyncio);
    }
    for (String other :
        new String[] {
          "https://docs.python.org/3/library/async",
          "https://docs.python.org/3/library/Asyncio-eventloop.html",
          "https://docs.python.org/2/library/asyncio.html"
        }) {
      doc.url = other;
      assertThat(Takedowns.match("a", "test", doc.url, store(map))).as(other).isNull();
    }
  }

  @Test
  void aPrefixThatEndsAtTheHostCoversThatHostOnly() {
    java.util.NavigableMap<String, Takedown> map = new java.util.TreeMap<>();
    Takedown host = takedown(TakedownScope.URL_PREFIX, "https://example.org");
    map.put(Takedowns.key(host), host);
    Doc doc = new Doc();
    doc.url = "https://example.org/any/page";
    assertThat(Takedowns.match("a", "test", doc.url, store(map))).isEqualTo(host);
    doc.url = "https://example.org:8443/x";
    assertThat(Takedowns.match("a", "test", doc.url, store(map))).isEqualTo(host);
    doc.url = "https://example.org.evil.test/page";
    assertThat(Takedowns.match("a", "test", doc.url, store(map))).isNull();
  }

  @Test
  void aUrlPrefixMustBeAnAbsoluteUrl() {
    for (String bad : new String[] {"not-a-url", "example.org/page", "ftp://", "https://"}) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Takedowns.checkUrlPrefix(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("absolute");
    }
    Takedowns.checkUrlPrefix("https://docs.python.org/3/library/asyncio");
  }

  @Test
  void matchesByDocIdSourceOrUrlPrefix() {
    java.util.NavigableMap<String, Takedown> store = new java.util.TreeMap<>();
    Takedown prefix = takedown(TakedownScope.URL_PREFIX, "https://EXAMPLE.org/private/");
    store.put(Takedowns.key(prefix), prefix);
    Doc doc = new Doc();
    doc.url = "https://example.org/private/2024/page";
    assertThat(Takedowns.match("a", "test", doc.url, store(store))).isEqualTo(prefix);
    doc.url = "https://example.org/privately/page";
    assertThat(Takedowns.match("a", "test", doc.url, store(store))).isNull();

    Takedown source = takedown(TakedownScope.SOURCE, "test");
    store.put(Takedowns.key(source), source);
    assertThat(Takedowns.match("a", "test", doc.url, store(store))).isEqualTo(source);
    Takedown id = takedown(TakedownScope.DOC_ID, "a");
    store.put(Takedowns.key(id), id);
    assertThat(Takedowns.match("a", "test", doc.url, store(store))).isEqualTo(id);
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
