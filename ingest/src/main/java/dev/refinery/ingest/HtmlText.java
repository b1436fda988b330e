package dev.refinery.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeTraversor;
import org.jsoup.select.NodeVisitor;

/**
 * The main text of an HTML page, parsed with jsoup: what a reader would read, without navigation,
 * headers, footers, sidebars, forms, scripts and link lists, one line per block (paragraph,
 * heading, list item), the way Common Crawl's WET files and trafilatura lay text out.
 *
 * <p>The heuristics, in order: drop elements that are never content (script, nav, footer, aside,
 * forms, ARIA banners and navigation, hidden elements, and elements whose class or id names
 * boilerplate such as cookie banners, share bars and sidebars); read {@code <main>}, {@code
 * <article>} or {@code [role=main]} when it holds most of the page's text; drop blocks that are
 * mostly link text.
 */
final class HtmlText {
  /**
   * The text of a page, its title and declared language (either may be null), and the images of its
   * main content where they stand in the text.
   */
  record Extracted(String title, String text, String language, List<ImageLink> images) {
    Extracted(String title, String text, String language) {
      this(title, text, language, List.of());
    }
  }

  /**
   * An {@code <img>} of the main content: its absolute URL, its alt text (or null) and the
   * character offset in the text where it stands.
   */
  record ImageLink(String url, String alt, int offset) {}

  /** Where an image stands in a block's line while the text is cut into blocks. */
  private static final char MARKER = '\uFFFC';

  private static final String NEVER_CONTENT =
      "script, style, noscript, template, svg, canvas, iframe, object, embed, form, button, input, "
          + "select, textarea, nav, header, footer, aside, menu, dialog, "
          + "[role=navigation], [role=banner], [role=contentinfo], [role=complementary], "
          + "[role=search], [role=dialog], [aria-hidden=true], [hidden]";
  private static final Pattern BOILERPLATE =
      Pattern.compile(
          "(^|[-_ ])(cookie|consent|gdpr|banner|breadcrumbs?|share|sharing|social|newsletter|"
              + "subscribe|sidebar|side-bar|footer|header|navbar|nav|menu|related|advert|ads?|"
              + "promo|popup|modal|skip-link|pagination)($|[-_ ])",
          Pattern.CASE_INSENSITIVE);
  private static final Set<String> BLOCKS =
      Set.of(
          "p",
          "div",
          "section",
          "article",
          "main",
          "h1",
          "h2",
          "h3",
          "h4",
          "h5",
          "h6",
          "li",
          "ul",
          "ol",
          "dl",
          "dt",
          "dd",
          "pre",
          "blockquote",
          "table",
          "tr",
          "td",
          "th",
          "thead",
          "tbody",
          "figure",
          "figcaption",
          "address",
          "hr",
          "br",
          "details",
          "summary",
          "caption");
  private static final double MAX_LINK_DENSITY = 0.5;

  private HtmlText() {}

  /**
   * Extracts the main text.
   *
   * @param html the page
   * @param baseUri its URL, for relative links
   */
  static Extracted extract(String html, String baseUri) {
    Document page = Jsoup.parse(html, baseUri == null ? "" : baseUri);
    String title = page.title().isBlank() ? null : page.title().strip();
    String language =
        page.selectFirst("html[lang]") == null ? null : page.selectFirst("html[lang]").attr("lang");
    Element body = page.body();
    body.select(NEVER_CONTENT).remove();
    List<Element> boilerplate = new ArrayList<>();
    for (Element e : body.getAllElements()) {
      if (e != body
          && (BOILERPLATE.matcher(e.className()).find() || BOILERPLATE.matcher(e.id()).find())) {
        boilerplate.add(e);
      }
    }
    boilerplate.forEach(Element::remove);
    Element root = mainContainer(body);
    List<String> lines = new ArrayList<>();
    List<String[]> found = new ArrayList<>();
    String leading = "";
    for (Block block : blocks(root)) {
      if (block.linkChars() > MAX_LINK_DENSITY * block.text().length()) {
        continue;
      }
      found.addAll(block.images());
      if (block.text().chars().allMatch(c -> c == MARKER)) {
        // a block of images alone: they stand at the end of the line before, not on a line of
        // their own, so the text is the same whether or not the images are kept
        if (lines.isEmpty()) {
          leading += block.text();
        } else {
          lines.set(lines.size() - 1, lines.get(lines.size() - 1) + block.text());
        }
      } else {
        lines.add(lines.isEmpty() ? leading + block.text() : block.text());
      }
    }
    if (lines.isEmpty() && !leading.isEmpty()) {
      lines.add(leading);
    }
    // the markers give each image of a kept block its offset in the text without them
    String marked = String.join("\n", lines);
    StringBuilder text = new StringBuilder(marked.length());
    List<ImageLink> images = new ArrayList<>();
    int next = 0;
    for (int i = 0; i < marked.length(); i++) {
      char c = marked.charAt(i);
      if (c != MARKER) {
        text.append(c);
      } else {
        // "see <img> below" reads "see below" without the image
        if (i + 1 < marked.length()
            && marked.charAt(i + 1) == ' '
            && (text.isEmpty() || text.charAt(text.length() - 1) == ' ')) {
          i++;
        }
        if (next >= found.size()) {
          continue;
        }
        String[] image = found.get(next++);
        images.add(new ImageLink(image[0], image[1], text.length()));
      }
    }
    return new Extracted(
        title, text.toString(), language == null || language.isBlank() ? null : language, images);
  }

  /** {@code <main>}, {@code <article>} or {@code [role=main]} if it holds most of the text. */
  private static Element mainContainer(Element body) {
    int total = body.text().length();
    for (String selector : List.of("main", "[role=main]", "article")) {
      Element candidate = body.selectFirst(selector);
      if (candidate != null && candidate.text().length() >= 0.4 * total) {
        return candidate;
      }
    }
    return body;
  }

  /**
   * A run of text between block boundaries, how much of it is link text, and its images ({@code
   * [url, alt]}, one marker each in the text).
   */
  private record Block(String text, int linkChars, List<String[]> images) {}

  private static List<Block> blocks(Element root) {
    Blocks blocks = new Blocks();
    NodeTraversor.traverse(blocks, root);
    blocks.flush();
    return blocks.done;
  }

  /** Cuts the text of a tree into blocks at block-level elements. */
  private static final class Blocks implements NodeVisitor {
    final List<Block> done = new ArrayList<>();
    private final StringBuilder line = new StringBuilder();
    private final List<String[]> images = new ArrayList<>();
    private int linkChars;
    private boolean preformatted;

    @Override
    public void head(Node node, int depth) {
      if (node instanceof TextNode text) {
        boolean pre = insidePre(text);
        // a marker in the page itself is not one of ours
        String content =
            (pre ? text.getWholeText() : normalize(text.text())).replace(MARKER, '\uFFFD');
        if (!content.isEmpty()) {
          line.append(content);
          preformatted |= pre;
          if (insideLink(text)) {
            linkChars += content.strip().length();
          }
        }
      } else if (node instanceof Element e && BLOCKS.contains(e.normalName())) {
        flush();
      } else if (node instanceof Element e && e.normalName().equals("img")) {
        String url = e.absUrl("src");
        if (url.startsWith("http://") || url.startsWith("https://")) {
          line.append(MARKER);
          String alt = e.attr("alt").strip();
          images.add(new String[] {url, alt.isEmpty() ? null : alt});
        }
      }
    }

    @Override
    public void tail(Node node, int depth) {
      if (node instanceof Element e && BLOCKS.contains(e.normalName())) {
        flush();
      }
    }

    void flush() {
      String text = preformatted ? line.toString().strip() : normalize(line.toString()).strip();
      if (!text.isEmpty()) {
        done.add(new Block(text, linkChars, List.copyOf(images)));
      }
      line.setLength(0);
      images.clear();
      linkChars = 0;
      preformatted = false;
    }
  }

  private static boolean insideLink(Node node) {
    for (Node n = node.parent(); n != null; n = n.parent()) {
      if (n instanceof Element e && e.normalName().equals("a")) {
        return true;
      }
    }
    return false;
  }

  private static boolean insidePre(Node node) {
    for (Node n = node.parent(); n != null; n = n.parent()) {
      if (n instanceof Element e && e.normalName().equals("pre")) {
        return true;
      }
    }
    return false;
  }

  private static String normalize(String text) {
    return text.replace('\u00A0', ' ').replaceAll("[ \\t\\x0B\\f\\r]+", " ");
  }
}
