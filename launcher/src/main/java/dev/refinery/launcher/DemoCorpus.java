package dev.refinery.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.infra.text.SyntheticText;
import dev.refinery.runtime.images.SampleImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

/**
 * Writes the demo corpus: five sources, public and licensed, text and images, in four token
 * streams, with the troubles a real corpus has: exact duplicates (verbatim, and differing only in
 * case and white space, within and across sources), near-duplicates (a sentence added), documents
 * too short to keep, and junk lines (malformed JSON, empty text, invalid UTF-8, a NUL character, a
 * missing text field).
 *
 * <p>The same seed writes the same bytes on any machine, so the demo's figures are reproducible.
 */
public final class DemoCorpus {
  /** The URL prefix the demo takes down: one town's pages on the demo news site. */
  public static final String TAKEN_DOWN = "https://news.example.org/saltmere/";

  /** The sources the demo declares, as configuration entries. */
  public static final Map<String, String> SOURCES = sources();

  private static final String[] KINDS = {
    "market town", "river port", "hill village", "coastal city", "mill town", "university town"
  };

  private final SplittableRandom random;
  private final SyntheticText prose;
  private final ObjectMapper json = new ObjectMapper();

  public DemoCorpus(long seed) {
    this.random = new SplittableRandom(seed);
    this.prose = new SyntheticText(seed);
  }

  /** A written file and the source it belongs to. */
  public record DemoFile(Path path, String source) {}

  /** Writes the corpus into {@code dir}; returns the files in the order to ingest them. */
  public List<DemoFile> write(Path dir) throws IOException {
    Files.createDirectories(dir);
    List<String> web = new ArrayList<>();
    List<String> webTexts = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      String text = article();
      webTexts.add(text);
      web.add(
          line(
              "url",
              "https://news.example.org/" + prose.place().toLowerCase() + "/" + i,
              "text",
              text,
              "created",
              date(i),
              "title",
              "Local news " + i));
      if (i % 12 == 5) {
        // a mirror of an earlier article, verbatim or with case and spacing changed: exact
        // duplicates
        String copy = webTexts.get(random.nextInt(webTexts.size()));
        web.add(
            line(
                "url",
                "https://mirror.example.net/a/" + i,
                "text",
                i % 24 == 5 ? copy : copy.toUpperCase().replace(". ", ".  "),
                "created",
                date(i + 1)));
      }
      if (i % 20 == 7) {
        // the same story with one sentence rewritten: a near-duplicate, for the MinHash stage
        String base = webTexts.get(random.nextInt(webTexts.size()));
        web.add(
            line(
                "url",
                "https://aggregator.example.com/story/" + i,
                "text",
                base.replaceFirst("\\. ", ". " + sentence() + " "),
                "created",
                date(i + 2)));
      }
      if (i % 15 == 3) {
        // too short to be worth training on
        web.add(
            line(
                "url",
                "https://news.example.org/brief/" + i,
                "text",
                sentence() + " " + sentence()));
      }
    }
    List<byte[]> junk =
        List.of(
            "{\"url\": \"https://news.example.org/broken/1\", \"text\": \"a line cut in the middle"
                .getBytes(StandardCharsets.UTF_8),
            "{\"url\": \"https://news.example.org/broken/2\", \"text\": }"
                .getBytes(StandardCharsets.UTF_8),
            "not json at all".getBytes(StandardCharsets.UTF_8),
            "[\"an\", \"array\"]".getBytes(StandardCharsets.UTF_8),
            line("url", "https://news.example.org/empty/1", "text", "")
                .getBytes(StandardCharsets.UTF_8),
            line("url", "https://news.example.org/empty/2", "text", "   \n\t ")
                .getBytes(StandardCharsets.UTF_8),
            line(
                    "url",
                    "https://news.example.org/nul/1",
                    "text",
                    "binary\u0000garbage " + article())
                .getBytes(StandardCharsets.UTF_8),
            line("url", "https://news.example.org/notext/1", "body", article())
                .getBytes(StandardCharsets.UTF_8),
            latin1Line(
                "https://news.example.org/latin1/1",
                "Caf\u00e9 cr\u00e8me, na\u00efve r\u00e9sum\u00e9 " + article()),
            latin1Line(
                "https://news.example.org/latin1/2",
                "Gr\u00fc\u00dfe aus M\u00fcnchen " + article()));
    Path webFile = dir.resolve("cc-demo.jsonl.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(webFile))) {
      for (int i = 0; i < web.size(); i++) {
        out.write((web.get(i) + "\n").getBytes(StandardCharsets.UTF_8));
        if (i % 60 == 30) {
          out.write(junk.get((i / 60) % junk.size()));
          out.write('\n');
        }
      }
    }

    List<String> wiki = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      wiki.add(
          line(
              "id",
              "wiki-" + (1000 + i),
              "text",
              encyclopedia(),
              "title",
              prose.place() + " (" + i + ")"));
      if (i % 25 == 0) {
        // an article that also appears in the web crawl: a duplicate across sources
        wiki.add(line("id", "wiki-copy-" + i, "text", webTexts.get(i * 2)));
      }
    }
    Path wikiFile =
        Files.write(
            dir.resolve("wiki-demo.jsonl"),
            (String.join("\n", wiki) + "\n").getBytes(StandardCharsets.UTF_8));

    List<String> books = new ArrayList<>();
    for (int book = 1; book <= 4; book++) {
      for (int chapter = 1; chapter <= 5; chapter++) {
        books.add(
            line(
                "id",
                "acme:book-" + book + ":chapter-" + chapter,
                "text",
                chapter(book, chapter),
                "title",
                "The Harbour Light, book " + book + ", chapter " + chapter));
      }
    }
    Path booksFile =
        Files.write(
            dir.resolve("acme-books.jsonl"),
            (String.join("\n", books) + "\n").getBytes(StandardCharsets.UTF_8));

    List<String> code = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      code.add(line("text", program(i), "language", i % 2 == 0 ? "python" : "java"));
    }
    Path codeFile =
        Files.write(
            dir.resolve("code-demo.jsonl"),
            (String.join("\n", code) + "\n").getBytes(StandardCharsets.UTF_8));

    return List.of(
        new DemoFile(webFile, "cc-demo"),
        new DemoFile(wikiFile, "wiki-demo"),
        new DemoFile(booksFile, "acme-books"),
        new DemoFile(codeFile, "code-demo"),
        new DemoFile(photos(dir), "photos-demo"),
        new DemoFile(albums(dir), "photos-demo"));
  }

  /**
   * A WebDataset shard of drawn images with captions, the same for a seed: among them an exact
   * duplicate, a near-duplicate (the same drawing smaller, as JPEG), a broken file (a JPEG cut in
   * half), an icon under the minimum size, and a decompression bomb (a PNG declaring 50,000 ×
   * 50,000 pixels).
   */
  private Path photos(Path dir) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    List<byte[]> drawn = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      BufferedImage image =
          SampleImages.drawing(
              1000L + i, 200 + 8 * random.nextInt(20), 160 + 8 * random.nextInt(15));
      byte[] bytes = SampleImages.encode(image, i % 2 == 0 ? "jpg" : "png");
      drawn.add(bytes);
      sample(files, i, i % 2 == 0 ? "jpg" : "png", bytes, sentence());
      if (i == 3) {
        // the same drawing, smaller and as JPEG: a near duplicate
        byte[] smaller =
            SampleImages.encode(
                SampleImages.resized(image, image.getWidth() * 4 / 5, image.getHeight() * 4 / 5),
                "jpg");
        sample(files, 100, "jpg", smaller, sentence());
      }
    }
    sample(files, 101, "jpg", drawn.get(0), sentence()); // the same bytes again
    byte[] whole = SampleImages.encode(SampleImages.drawing(2000, 240, 180), "jpg");
    sample(files, 102, "jpg", java.util.Arrays.copyOf(whole, whole.length / 2), sentence());
    sample(
        files,
        103,
        "png",
        SampleImages.encode(SampleImages.drawing(2001, 48, 48), "png"),
        "An icon.");
    files.put(String.format("%06d.png", 104), SampleImages.pngBomb(50_000, 50_000));
    Path shard =
        Files.write(
            dir.resolve("photos-demo-000.tar"), dev.refinery.ingest.WebDatasetShard.of(files));
    return shard;
  }

  private static void sample(
      Map<String, byte[]> files, int key, String ext, byte[] image, String caption) {
    String name = String.format("%06d", key);
    files.put(name + "." + ext, image);
    files.put(name + ".txt", caption.getBytes(StandardCharsets.UTF_8));
    files.put(
        name + ".json",
        ("{\"url\": \"https://photos.example.org/" + name + "." + ext + "\"}")
            .getBytes(StandardCharsets.UTF_8));
  }

  /** Interleaved documents (OBELICS shape): paragraphs with drawn images beside the file. */
  private Path albums(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("albums"));
    List<String> lines = new ArrayList<>();
    for (int album = 0; album < 3; album++) {
      ArrayNode texts = json.createArrayNode();
      ArrayNode images = json.createArrayNode();
      for (int k = 0; k < 3; k++) {
        texts.add(prose.paragraphs(1, " "));
        images.addNull();
        String name = "albums/" + album + "-" + k + ".png";
        Files.write(
            dir.resolve(name),
            SampleImages.encode(SampleImages.drawing(3000L + album * 10 + k, 240, 200), "png"));
        texts.addNull();
        images.add(name);
      }
      ObjectNode node = json.createObjectNode();
      node.put("id", "album-" + album);
      node.set("texts", texts);
      node.set("images", images);
      lines.add(node.toString());
    }
    return Files.write(
        dir.resolve("photos-demo-albums.jsonl"),
        (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private String article() {
    return prose.paragraphs(2 + random.nextInt(3), "\n\n");
  }

  private String sentence() {
    return prose.sentence();
  }

  private String encyclopedia() {
    String place = prose.place();
    return place
        + " is a "
        + pick(KINDS)
        + " with a population of about "
        + (2_000 + random.nextInt(90_000))
        + " people. It was first recorded in "
        + (900 + random.nextInt(900))
        + ". "
        + prose.paragraphs(2, " ")
        + "\n\n"
        + prose.paragraphs(1 + random.nextInt(3), "\n\n");
  }

  private String chapter(int book, int chapter) {
    return "Chapter "
        + chapter
        + "\n\n"
        + prose.paragraphs(12 + random.nextInt(10), "\n\n")
        + "\n\n(The Harbour Light, book "
        + book
        + ". \u00a9 Acme Publishing, licensed for training.)";
  }

  /** A small program of statements drawn at random, in Python or Java: no two alike. */
  private String program(int i) {
    String[] names = {
      "total", "count", "weight", "score", "limit", "offset", "ratio", "buffer", "index", "value",
      "result", "delta", "margin", "window", "budget", "sample", "factor", "cursor", "depth",
      "width"
    };
    String name =
        pick(
                new String[] {
                  "compute", "merge", "scale", "filter", "rank", "parse", "check", "update"
                })
            + "_"
            + pick(names)
            + "_"
            + pick(names)
            + "_"
            + i;
    String a = pick(names);
    String b = pick(names);
    StringBuilder body = new StringBuilder();
    boolean python = i % 2 == 0;
    int statements = 4 + random.nextInt(6);
    for (int s = 0; s < statements; s++) {
      String x = pick(names);
      String y = pick(names);
      int n = 2 + random.nextInt(97);
      String op = pick(new String[] {"+", "-", "*", "//"});
      String line =
          switch (random.nextInt(5)) {
            case 0 ->
                python
                    ? x + " = " + y + " " + op + " " + n
                    : "long " + x + s + " = " + y + " " + op.charAt(0) + " " + n + ";";
            case 1 ->
                python
                    ? "if " + x + " > " + n + ":\n        " + y + " = " + x + " % " + (n + 1)
                    : "if (" + x + " > " + n + ") { " + y + " = " + x + " % " + (n + 1) + "; }";
            case 2 ->
                python
                    ? "for k in range(" + n + "):\n        " + x + " += k * " + y
                    : "for (int k = 0; k < " + n + "; k++) { " + x + " += k * " + y + "; }";
            case 3 ->
                python
                    ? "assert " + x + " >= 0, \"" + x + " must not be negative\""
                    : "if ("
                        + x
                        + " < 0) { throw new IllegalStateException(\""
                        + x
                        + " must not be negative\"); }";
            default ->
                python
                    ? y + " = max(" + x + ", " + y + ", " + n + ")"
                    : y + " = Math.max(" + x + ", Math.max(" + y + ", " + n + "));";
          };
      body.append(python ? "    " : "    ").append(line).append('\n');
    }
    if (python) {
      return "def "
          + name
          + "("
          + String.join(", ", names)
          + "):\n"
          + "    \"\"\"Return the "
          + a
          + " after adjusting it by the "
          + b
          + ".\"\"\"\n"
          + body
          + "    return "
          + a
          + "\n";
    }
    return "static long "
        + camel(name)
        + "(long... v) {\n    long "
        + String.join(" = 0, ", names)
        + " = 0;\n"
        + "    // the "
        + a
        + " adjusted by the "
        + b
        + "\n"
        + body
        + "    return "
        + a
        + ";\n}\n";
  }

  private static String camel(String snake) {
    StringBuilder out = new StringBuilder();
    boolean upper = false;
    for (char c : snake.toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return out.toString();
  }

  private String pick(String[] options) {
    return options[random.nextInt(options.length)];
  }

  private static String date(int i) {
    return Instant.parse("2026-01-01T08:00:00Z").plusSeconds(3600L * i).toString();
  }

  private String line(String... fields) {
    ObjectNode node = json.createObjectNode();
    for (int i = 0; i < fields.length; i += 2) {
      node.put(fields[i], fields[i + 1]);
    }
    return node.toString();
  }

  /** A JSON line whose text is encoded in Latin-1, not UTF-8: invalid input. */
  private byte[] latin1Line(String url, String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("{\"url\": \"" + url + "\", \"text\": \"").getBytes(StandardCharsets.UTF_8));
    out.writeBytes(
        text.replace("\"", "'").replace("\n", "\\n").getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes("\"}".getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static Map<String, String> sources() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("sources.cc-demo.kind", "public_web");
    s.put("sources.cc-demo.licence", "LicenseRef-CommonCrawl-ToU");
    s.put("sources.cc-demo.stream", "web");
    s.put("sources.wiki-demo.kind", "public_web");
    s.put("sources.wiki-demo.licence", "CC-BY-SA-4.0");
    s.put("sources.wiki-demo.stream", "web");
    s.put("sources.acme-books.kind", "licensed");
    s.put("sources.acme-books.licensor", "Acme Publishing (fictional)");
    s.put("sources.acme-books.terms", "ACME-2026-001: training only, no redistribution");
    s.put("sources.acme-books.stream", "books");
    s.put("sources.code-demo.kind", "code");
    s.put("sources.code-demo.licence", "MIT");
    s.put("sources.code-demo.stream", "code");
    s.put("sources.photos-demo.kind", "public_web");
    s.put("sources.photos-demo.licence", "CC0-1.0");
    s.put("sources.photos-demo.stream", "vision");
    return java.util.Collections.unmodifiableMap(s);
  }
}
