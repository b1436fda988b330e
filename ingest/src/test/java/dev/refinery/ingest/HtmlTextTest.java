package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HtmlTextTest {

  @Test
  void keepsTheArticleDropsTheChrome() {
    String page =
        """
        <html lang="de"><head><title> Ein Titel </title><style>p{}</style></head><body>
          <header><h1>Site name</h1><nav><ul><li><a href="/">Home</a></li><li><a href="/a">A</a></li></ul></nav></header>
          <div class="cookie-banner">We use cookies. <button>OK</button></div>
          <main>
            <h1>The headline</h1>
            <p>First paragraph with <b>bold</b> and <a href="/x">a link</a> inside.</p>
            <ul class="share-buttons"><li><a href="#">Tweet</a></li></ul>
            <p>Second&nbsp;paragraph.</p>
            <pre>code   keeps
          its spaces</pre>
          </main>
          <aside>Related: <a href="/r">other</a></aside>
          <footer>© 2026</footer>
        </body></html>
        """;

    HtmlText.Extracted text = HtmlText.extract(page, "https://example.org/");

    assertThat(text.title()).isEqualTo("Ein Titel");
    assertThat(text.language()).isEqualTo("de");
    assertThat(text.text())
        .isEqualTo(
            """
        The headline
        First paragraph with bold and a link inside.
        Second paragraph.
        code   keeps
          its spaces""");
  }

  @Test
  void linkListsAreDroppedProseWithLinksKept() {
    String page =
        "<body><div><a href='1'>One</a> | <a href='2'>Two</a> | <a href='3'>Three</a></div>"
            + "<div>Read <a href='p'>the paper</a> before the meeting on Friday afternoon.</div></body>";

    assertThat(HtmlText.extract(page, null).text())
        .isEqualTo("Read the paper before the meeting on Friday afternoon.");
  }

  @Test
  void aPageOfScriptHasNoText() {
    assertThat(
            HtmlText.extract(
                    "<html><body><script>render()</script><noscript>Enable JS</noscript></body></html>",
                    null)
                .text())
        .isEmpty();
  }
}
