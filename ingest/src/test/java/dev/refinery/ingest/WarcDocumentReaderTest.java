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
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (WarcWriter writer = new WarcWriter(Channels.newChannel(out), compression)) {
      writer.write(
          new WarcResponse.Builder(url)
              .date(Instant.parse("2026-01-02T03:04:05Z"))
              .body(
                  new HttpResponse.Builder(status, "OK")
                      .body(MediaType.parse(type), body.getBytes(StandardCharsets.UTF_8))
                      .build())
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
    List<Parsed> out = new ArrayList<>();
    Rejector rejector = new Rejector(WEB, CONFIG, Clock.systemUTC());
    try (DocumentReader reader =
        InputFormat.of(file).open(file, file.getFileName().toString(), CONFIG, rejector)) {
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
  void recordsDeclaringMoreThanTheBoundStopTheFileUnread() throws IOException {
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    file.writeBytes(
        response(
            "https://a.example/", 200, "text/html", html("<p>fine</p>"), WarcCompression.GZIP));
    file.writeBytes(
        Fixtures.gzip(
            ("WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: https://bomb.example/\r\n"
                    + "WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\nWARC-Date: 2026-01-01T00:00:00Z\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: 999999999999\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII)));
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
}
