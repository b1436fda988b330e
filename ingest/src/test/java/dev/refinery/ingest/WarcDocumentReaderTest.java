package dev.refinery.ingest;

import static dev.refinery.ingest.Fixtures.WEB;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netpreserve.jwarc.HttpResponse;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.WarcCompression;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.WarcWriter;

/** A garbage WARC: broken records between good ones, in gzip members and in a plain file. */
class WarcDocumentReaderTest {
  static final IngestConfig CONFIG =
      new IngestConfig(Map.of(IngestConfig.MAX_DOCUMENT_BYTES, 64 * 1024));

  @TempDir Path dir;

  static byte[] response(
      String url, int status, String type, String body, WarcCompression compression)
      throws IOException {
    return response(url, status, type, body.getBytes(StandardCharsets.UTF_8), compression);
  }

  static byte[] response(
      String url, int status, String type, byte[] body, WarcCompression compression)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (WarcWriter writer = new WarcWriter(Channels.newChannel(out), compression)) {
      writer.write(
          new WarcResponse.Builder(url)
              .date(Instant.parse("2026-01-02T03:04:05Z"))
              .body(
                  new HttpResponse.Builder(status, "OK").body(MediaType.parse(type), body).build())
              .build());
    }
    return out.toByteArray();
  }

  static byte[] broken(WarcCompression compression) throws IOException {
    byte[] record =
        ("WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://broken.example/\r\n"
                + "Content-Length: not-a-number\r\n\r\n<html>lost</html>\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    return compression == WarcCompression.GZIP ? Fixtures.gzip(record) : record;
  }

  static List<Parsed> read(Path file) throws IOException {
    return read(file, CONFIG);
  }

  static List<Parsed> read(Path file, IngestConfig config) throws IOException {
    List<Parsed> out = new ArrayList<>();
    Rejector rejector = new Rejector(WEB, config, Clock.systemUTC());
    try (DocumentReader reader =
        InputFormat.of(file).open(file, file.getFileName().toString(), config, rejector)) {
      for (Parsed p = reader.next(); p != null; p = reader.next()) {
        out.add(p);
      }
    }
    return out;
  }

  static String html(String body) {
    return "<html lang=\"en\"><head><title>T</title><script>var x = 1;</script></head><body>"
        + "<nav><a href=\"/\">Home</a> <a href=\"/about\">About</a></nav>"
        + body
        + "<footer>Copyright 2026</footer></body></html>";
  }

  void garbageFileReadsAroundItsBrokenRecords(WarcCompression compression, String name)
      throws IOException {
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    file.writeBytes(
        response(
            "https://a.example/",
            200,
            "text/html; charset=utf-8",
            html("<p>First page, with a paragraph.</p>"),
            compression));
    file.writeBytes(broken(compression));
    file.writeBytes(broken(compression));
    file.writeBytes(
        response(
            "https://b.example/",
            200,
            "text/html",
            html("<p>Second page after the broken one.</p>"),
            compression));
    file.writeBytes(response("https://c.example/logo.png", 200, "image/png", "PNG", compression));
    file.writeBytes(
        response(
            "https://d.example/missing", 404, "text/html", html("<p>Not found</p>"), compression));
    file.writeBytes(
        response(
            "https://e.example/huge",
            200,
            "text/html",
            html("<p>" + "x".repeat(70_000) + "</p>"),
            compression));
    file.writeBytes(
        response(
            "https://f.example/app",
            200,
            "text/html",
            "<html><body><script>app()</script></body></html>",
            compression));
    Path warc = Files.write(dir.resolve(name), file.toByteArray());

    List<Parsed> parsed = read(warc);

    List<String> outcomes =
        parsed.stream()
            .map(
                p ->
                    p instanceof Parsed.Accepted a
                        ? "doc " + a.document().getUrl()
                        : p instanceof Parsed.Rejected r
                            ? r.rejection().getReason()
                            : "skip " + ((Parsed.Skipped) p).what())
            .toList();
    assertThat(outcomes)
        .containsExactly(
            "doc https://a.example/",
            "BROKEN_WARC_RECORD",
            "BROKEN_WARC_RECORD",
            "doc https://b.example/",
            "skip image/png",
            "skip HTTP 404",
            "DOCUMENT_TOO_LARGE",
            "EMPTY_TEXT");
    Parsed.Accepted first = (Parsed.Accepted) parsed.get(0);
    assertThat(first.document().getText()).isEqualTo("First page, with a paragraph.");
    assertThat(first.document().getFetchedAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
    assertThat(first.document().getAttributes())
        .containsEntry("title", "T")
        .containsEntry("html_lang", "en");
    Parsed.Rejected brokenRecord = (Parsed.Rejected) parsed.get(1);
    assertThat(brokenRecord.rejection().getLocation()).startsWith(name + "@");
    assertThat(brokenRecord.rejection().getDetail()).contains("does not parse");
  }

  @Test
  void gzipMembersResyncAtTheNextMember() throws IOException {
    garbageFileReadsAroundItsBrokenRecords(WarcCompression.GZIP, "garbage.warc.gz");
  }

  @Test
  void plainWarcResyncsAtTheNextVersionLine() throws IOException {
    garbageFileReadsAroundItsBrokenRecords(WarcCompression.NONE, "garbage.warc");
  }

  @Test
  void recordsDeclaringMoreThanTheBoundInAllStopTheFileUnread() throws IOException {
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    file.writeBytes(
        response(
            "https://a.example/", 200, "text/html", html("<p>fine</p>"), WarcCompression.GZIP));
    // a record whose length is true but over the bound (a 999999999999 one is a lie: refused alone)
    file.writeBytes(
        response(
            "https://big.example/",
            200,
            "text/html",
            html("<p>" + "big page ".repeat(150_000) + "</p>"),
            WarcCompression.GZIP));
    Path warc = Files.write(dir.resolve("bomb.warc.gz"), file.toByteArray());
    IngestConfig bounded = new IngestConfig(Map.of(IngestConfig.MAX_DECOMPRESSED_BYTES, 1 << 20));
    Rejector rejector = new Rejector(WEB, bounded, Clock.systemUTC());

    try (DocumentReader reader = InputFormat.WARC.open(warc, "bomb.warc.gz", bounded, rejector)) {
      assertThat(reader.next()).isInstanceOf(Parsed.Accepted.class);
      org.assertj.core.api.Assertions.assertThatThrownBy(reader::next)
          .isInstanceOf(Decompression.LimitExceeded.class)
          .hasMessageContaining(IngestConfig.MAX_DECOMPRESSED_BYTES);
    }
  }

  /** A plain record whose Content-Length header says {@code lie(real)} instead. */
  static byte[] lying(byte[] plainRecord, java.util.function.LongUnaryOperator lie) {
    String text = new String(plainRecord, StandardCharsets.ISO_8859_1);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("Content-Length: (\\d+)\r\n").matcher(text);
    assertThat(m.find()).isTrue();
    long real = Long.parseLong(m.group(1));
    return (text.substring(0, m.start(1)) + lie.applyAsLong(real) + text.substring(m.end(1)))
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /** 22 pages, the fifth with a lying Content-Length: 21 documents and one rejection. */
  void aLyingContentLengthCostsOnlyItsRecord(
      WarcCompression compression, java.util.function.LongUnaryOperator lie) throws IOException {
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    for (int i = 0; i < 22; i++) {
      byte[] page =
          response(
              "https://example.org/page-" + i,
              200,
              "text/html; charset=utf-8",
              html("<p>Page " + i + " has a paragraph of its own, long enough to read.</p>"),
              WarcCompression.NONE);
      if (i == 4) {
        page = lying(page, lie);
      }
      file.writeBytes(compression == WarcCompression.GZIP ? Fixtures.gzip(page) : page);
    }
    String name = compression == WarcCompression.GZIP ? "lies.warc.gz" : "lies.warc";
    Path warc = Files.write(dir.resolve(name), file.toByteArray());

    List<Parsed> parsed = read(warc);

    assertThat(parsed.stream().filter(p -> p instanceof Parsed.Accepted))
        .extracting(p -> ((Parsed.Accepted) p).document().getUrl())
        .hasSize(21)
        .doesNotContain("https://example.org/page-4");
    List<Parsed.Rejected> rejected =
        parsed.stream()
            .filter(p -> p instanceof Parsed.Rejected)
            .map(p -> (Parsed.Rejected) p)
            .toList();
    assertThat(rejected).hasSize(1);
    assertThat(rejected.get(0).rejection().getReason()).isEqualTo("BROKEN_WARC_RECORD");
    assertThat(rejected.get(0).rejection().getDetail()).contains("Content-Length");
  }

  @Test
  void anImpossibleContentLengthIsRejectedAloneInAPlainWarc() throws IOException {
    aLyingContentLengthCostsOnlyItsRecord(WarcCompression.NONE, real -> 99_999_999_999L);
  }

  @Test
  void anImpossibleContentLengthIsRejectedAloneInAGzipWarc() throws IOException {
    aLyingContentLengthCostsOnlyItsRecord(WarcCompression.GZIP, real -> 99_999_999_999L);
  }

  @Test
  void aContentLengthOfAThirdIsRejectedAloneInAPlainWarc() throws IOException {
    aLyingContentLengthCostsOnlyItsRecord(WarcCompression.NONE, real -> real / 3);
  }

  @Test
  void aContentLengthOfAThirdIsRejectedAloneInAGzipWarc() throws IOException {
    aLyingContentLengthCostsOnlyItsRecord(WarcCompression.GZIP, real -> real / 3);
  }

  @Test
  void aContentLengthThreeTimesTooLongIsRejectedAloneInAPlainWarc() throws IOException {
    aLyingContentLengthCostsOnlyItsRecord(WarcCompression.NONE, real -> real * 3);
  }

  @Test
  void aContentLengthThreeTimesTooLongIsRejectedAloneInAGzipWarc() throws IOException {
    aLyingContentLengthCostsOnlyItsRecord(WarcCompression.GZIP, real -> real * 3);
  }

  @Test
  void aContentLengthOneByteShortIsRejectedAloneInAPlainWarc() throws IOException {
    aLyingContentLengthCostsOnlyItsRecord(WarcCompression.NONE, real -> real - 1);
  }

  @Test
  void aContentLengthOneByteShortIsRejectedAloneInAGzipWarc() throws IOException {
    aLyingContentLengthCostsOnlyItsRecord(WarcCompression.GZIP, real -> real - 1);
  }

  @Test
  void realCrawlsReadAsBeforeWithEveryLengthChecked() throws IOException {
    for (var expected :
        Map.of(
                "dolma-sample-0000.warc.gz",
                List.of(22L, 0L, 26L),
                "dolma-sample-0001.warc.gz",
                List.of(12L, 3L, 19L))
            .entrySet()) {
      List<Parsed> parsed =
          read(
              dev.refinery.infra.testing.SharedData.corpus(expected.getKey()),
              new IngestConfig(Map.of()));
      assertThat(parsed.stream().filter(p -> p instanceof Parsed.Rejected))
          .extracting(p -> ((Parsed.Rejected) p).rejection().getReason())
          .as(
              parsed.stream()
                  .filter(p -> p instanceof Parsed.Rejected)
                  .map(p -> ((Parsed.Rejected) p).rejection().getDetail() + "")
                  .toList()
                  .toString())
          .allMatch("EMPTY_TEXT"::equals);
      assertThat(
              List.of(
                  parsed.stream().filter(p -> p instanceof Parsed.Accepted).count(),
                  parsed.stream().filter(p -> p instanceof Parsed.Rejected).count(),
                  parsed.stream().filter(p -> p instanceof Parsed.Skipped).count()))
          .as(expected.getKey() + ": documents, rejected, skipped")
          .isEqualTo(expected.getValue());
    }
  }
}
