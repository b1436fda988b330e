package dev.refinery.ingest;

import static dev.refinery.ingest.Fixtures.WEB;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
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

class WetReaderTest {
  @TempDir Path dir;

  @Test
  void brokenRecordsAreRejectedAndTheRestRead() throws IOException {
    ByteArrayOutputStream wet = new ByteArrayOutputStream();
    String ok =
        "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://ok.example/\r\n"
            + "WARC-Date: 2019-03-18T00:00:00Z\r\nContent-Type: text/plain\r\nContent-Length: 999\r\n\r\n"
            + "A page's text.\r\nSecond line.\r\n\r\n";
    wet.writeBytes(ok.getBytes(StandardCharsets.UTF_8));
    wet.writeBytes("WARC/1.0\nContent-Length: 4\n\nno type\n\n".getBytes(StandardCharsets.UTF_8));
    wet.writeBytes(
        "WARC/1.0\nWARC-Type: conversion\nContent-Length: 3\n\nno url\n\n"
            .getBytes(StandardCharsets.UTF_8));
    wet.writeBytes(
        "WARC/1.0\nWARC-Type: conversion\nWARC-Target-URI: http://latin.example/\n\n"
            .getBytes(StandardCharsets.UTF_8));
    wet.writeBytes("Caf\u00e9\n\n".getBytes(StandardCharsets.ISO_8859_1));
    wet.writeBytes(
        "WARC/1.0\nWARC-Type: conversion\nWARC-Target-URI: http://empty.example/\n\n\n\n"
            .getBytes(StandardCharsets.UTF_8));
    wet.writeBytes("WARC/1.0\nWARC-Type: metadata\n\nx\n".getBytes(StandardCharsets.UTF_8));
    wet.writeBytes(ok.replace("ok.example", "last.example").getBytes(StandardCharsets.UTF_8));
    Path file = Files.write(dir.resolve("garbage.wet.gz"), Fixtures.gzip(wet.toByteArray()));

    List<Parsed> parsed = new ArrayList<>();
    IngestConfig config = new IngestConfig(Map.of());
    try (DocumentReader reader =
        InputFormat.of(file)
            .open(file, "garbage.wet.gz", config, new Rejector(WEB, config, Clock.systemUTC()))) {
      for (Parsed p = reader.next(); p != null; p = reader.next()) {
        parsed.add(p);
      }
    }

    assertThat(parsed)
        .extracting(
            p ->
                p instanceof Parsed.Accepted a
                    ? "doc " + a.document().getUrl()
                    : p instanceof Parsed.Rejected r ? r.rejection().getReason() : "skip")
        .containsExactly(
            "doc http://ok.example/",
            "BROKEN_WARC_RECORD",
            "BROKEN_WARC_RECORD",
            "INVALID_UTF8",
            "EMPTY_TEXT",
            "skip",
            "doc http://last.example/");
    Parsed.Accepted first = (Parsed.Accepted) parsed.get(0);
    assertThat(first.document().getText()).isEqualTo("A page's text.\nSecond line.");
    assertThat(first.document().getFetchedAt()).isEqualTo(Instant.parse("2019-03-18T00:00:00Z"));
    assertThat(((Parsed.Rejected) parsed.get(1)).rejection().getDetail()).contains("no WARC-Type");
  }
}
