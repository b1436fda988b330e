package dev.refinery.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * Writes the demo corpus: four sources, public and licensed, in three token streams, with the
 * troubles a real corpus has: exact duplicates (verbatim, and differing only in case and white
 * space, within and across sources), near-duplicates (one sentence changed), documents too short to
 * keep, and junk lines (malformed JSON, empty text, invalid UTF-8, a NUL character, a missing text
 * field).
 *
 * <p>The same seed writes the same bytes on any machine, so the demo's figures are reproducible.
 */
public final class DemoCorpus {
  /** The sources the demo declares, as configuration entries. */
  public static final Map<String, String> SOURCES = sources();

  private static final String[] SUBJECTS = {
    "The city council",
    "A local bakery",
    "The research team",
    "Our volunteers",
    "The museum",
    "A small startup",
    "The river authority",
    "The school board",
    "A group of farmers",
    "The orchestra",
    "The library",
    "A cycling club",
    "The hospital",
    "The port"
  };
  private static final String[] VERBS = {
    "announced",
    "opened",
    "tested",
    "expanded",
    "reviewed",
    "celebrated",
    "published",
    "rebuilt",
    "measured",
    "planned",
    "funded",
    "restored",
    "launched"
  };
  private static final String[] OBJECTS = {
    "a new footbridge",
    "its spring program",
    "a water quality study",
    "the community garden",
    "an exhibition on early maps",
    "a solar roof",
    "the flood barrier",
    "a reading challenge",
    "the harvest festival",
    "a concert series",
    "the night market",
    "a repair workshop",
    "a vaccination drive",
    "the ferry timetable"
  };
  private static final String[] DETAILS = {
    "after two years of planning",
    "with help from residents",
    "despite a tight budget",
    "ahead of the summer season",
    "in partnership with the university",
    "following a public consultation",
    "at a fraction of the expected cost",
    "for the first time",
    "with support from local businesses",
    "to mixed reviews"
  };
  private static final String[] CLOSERS = {
    "Officials expect the work to finish by autumn.",
    "Visitors can find the schedule on the notice board.",
    "Residents are invited to share feedback.",
    "The organisers thanked everyone who took part.",
    "Further updates will follow next month.",
    "Tickets are free but places are limited.",
    "The full report is available at the town hall."
  };
  private static final String[] PLACES = {
    "Harrowgate",
    "Lindenfield",
    "Marlow Cross",
    "Eastbrook",
    "Saltmere",
    "Kingsreach",
    "Oakhollow",
    "Westvale",
    "Brightwater",
    "Stonebury"
  };
  private static final String[] KINDS = {
    "market town", "river port", "hill village", "coastal city", "mill town", "university town"
  };
  private static final String[] CHARACTERS = {
    "Ada", "Tomas", "Mireille", "Oskar", "Priya", "Jun", "Elena"
  };
  private static final String[] ACTIONS = {
    "opened the shutters",
    "read the letter twice",
    "walked down to the harbour",
    "counted the coins on the table",
    "listened to the rain",
    "climbed the narrow stairs",
    "lit the lamp",
    "watched the boats come in",
    "folded the map"
  };
  private static final String[] FEELINGS = {
    "uneasy", "hopeful", "tired", "curious", "restless", "calm"
  };

  private final SplittableRandom random;
  private final ObjectMapper json = new ObjectMapper();

  public DemoCorpus(long seed) {
    this.random = new SplittableRandom(seed);
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
              "https://news.example.org/"
                  + PLACES[i % PLACES.length].toLowerCase().replace(' ', '-')
                  + "/"
                  + i,
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
              encyclopedia(i),
              "title",
              PLACES[i % PLACES.length] + " (" + i + ")"));
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
        new DemoFile(codeFile, "code-demo"));
  }

  private String article() {
    StringBuilder text = new StringBuilder();
    int paragraphs = 2 + random.nextInt(3);
    for (int p = 0; p < paragraphs; p++) {
      int sentences = 3 + random.nextInt(5);
      for (int s = 0; s < sentences; s++) {
        text.append(sentence()).append(' ');
      }
      text.append(pick(CLOSERS)).append(p + 1 < paragraphs ? "\n\n" : "");
    }
    return text.toString();
  }

  private String sentence() {
    return pick(SUBJECTS)
        + " in "
        + pick(PLACES)
        + " "
        + pick(VERBS)
        + " "
        + pick(OBJECTS)
        + " "
        + pick(DETAILS)
        + ".";
  }

  private String encyclopedia(int i) {
    String place = PLACES[i % PLACES.length];
    StringBuilder text =
        new StringBuilder(
            place
                + " is a "
                + pick(KINDS)
                + " with a population of about "
                + (2_000 + random.nextInt(90_000))
                + " people. ");
    text.append("It was first recorded in ").append(900 + random.nextInt(900)).append(". ");
    for (int s = 0; s < 8 + random.nextInt(10); s++) {
      String sentence = sentence();
      text.append("In ")
          .append(1850 + random.nextInt(170))
          .append(", ")
          .append(Character.toLowerCase(sentence.charAt(0)))
          .append(sentence.substring(1))
          .append(' ');
    }
    return text.append("See also: ").append(pick(PLACES)).append('.').toString();
  }

  private String chapter(int book, int chapter) {
    StringBuilder text = new StringBuilder("Chapter " + chapter + "\n\n");
    for (int p = 0; p < 40 + random.nextInt(30); p++) {
      String who = pick(CHARACTERS);
      text.append(who)
          .append(' ')
          .append(pick(ACTIONS))
          .append(". ")
          .append(who)
          .append(" felt ")
          .append(pick(FEELINGS))
          .append(", and ")
          .append(pick(CHARACTERS))
          .append(' ')
          .append(pick(ACTIONS))
          .append(" while the light over ")
          .append(pick(PLACES))
          .append(" faded. \u201cWe leave at dawn,\u201d said ")
          .append(pick(CHARACTERS))
          .append(".\n\n");
    }
    return text.append("(The Harbour Light, book ")
        .append(book)
        .append(". \u00a9 Acme Publishing, licensed for training.)")
        .toString();
  }

  private String program(int i) {
    String name =
        "compute" + pick(new String[] {"Total", "Average", "Median", "Score", "Checksum"}) + i;
    if (i % 2 == 0) {
      return "def "
          + snake(name)
          + "(values, weights=None):\n"
          + "    \"\"\"Return the weighted "
          + name.substring(7).toLowerCase()
          + " of a list of numbers.\"\"\"\n"
          + "    if not values:\n        raise ValueError(\"values must not be empty\")\n"
          + "    if weights is None:\n        weights = [1.0] * len(values)\n"
          + "    total = 0.0\n    for value, weight in zip(values, weights):\n        total += value * weight\n"
          + "    return total / sum(weights)  # "
          + random.nextInt(1000)
          + "\n\n\n"
          + "if __name__ == \"__main__\":\n    print("
          + snake(name)
          + "([1, 2, 3], [0.2, 0.3, 0.5]))\n";
    }
    return "public final class "
        + Character.toUpperCase(name.charAt(0))
        + name.substring(1)
        + " {\n"
        + "  /** Returns the weighted value of {@code values}; weights default to one. */\n"
        + "  static double apply(double[] values, double[] weights) {\n"
        + "    if (values.length == 0) {\n      throw new IllegalArgumentException(\"values must not be empty\");\n    }\n"
        + "    double total = 0, sum = 0;\n    for (int i = 0; i < values.length; i++) {\n"
        + "      double w = weights == null ? 1 : weights[i];\n      total += values[i] * w;\n      sum += w;\n    }\n"
        + "    return total / sum; // "
        + random.nextInt(1000)
        + "\n  }\n}\n";
  }

  private static String snake(String camel) {
    return camel.replaceAll("([a-z])([A-Z0-9])", "$1_$2").toLowerCase();
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
    return java.util.Collections.unmodifiableMap(s);
  }
}
