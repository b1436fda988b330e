package dev.refinery.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Common Crawl WET files: each {@code conversion} record is a document of its extracted text, with
 * its target URL and capture date. Read line by line the way CCNet reads them: a record starts at a
 * {@code WARC/1.0} line, its headers run to the first blank line, its text to the next record. Line
 * ends may be CRLF or LF, and a wrong {@code Content-Length} (common in hand-edited and re-encoded
 * files) does not derail the rest of the file.
 */
final class WetReader extends LineDocumentReader {
  private LineReader.Line pending;
  private long recordOffset;

  WetReader(Decompression.Counted in, String name, IngestConfig config, Rejector rejector) {
    super(in, name, config, rejector);
  }

  @Override
  public Parsed next() throws IOException {
    while (true) {
      LineReader.Line start = pending != null ? pending : lines.next();
      pending = null;
      if (start == null) {
        return null;
      }
      if (!isVersionLine(start)) {
        continue;
      }
      recordOffset = start.offset();
      Map<String, String> headers = new LinkedHashMap<>();
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      raw.writeBytes(start.bytes());
      raw.write('\n');
      LineReader.Line line;
      while ((line = lines.next()) != null && line.bytes().length > 0 && !isVersionLine(line)) {
        raw.writeBytes(line.bytes());
        raw.write('\n');
        String header = new String(line.bytes(), StandardCharsets.UTF_8);
        int colon = header.indexOf(':');
        if (colon > 0) {
          headers.put(
              header.substring(0, colon).strip().toLowerCase(Locale.ROOT),
              header.substring(colon + 1).strip());
        }
      }
      if (line != null && isVersionLine(line)) {
        pending = line;
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      long bodySize = 0;
      boolean tooLong = false;
      while (pending == null && (line = lines.next()) != null) {
        if (isVersionLine(line)) {
          pending = line;
          break;
        }
        tooLong |= line.tooLong();
        bodySize += line.length() + 1;
        if (bodySize <= rejector.maxDocumentBytes()) {
          body.writeBytes(line.bytes());
          body.write('\n');
        }
      }
      String location = name + "@" + recordOffset;
      String type = headers.get("warc-type");
      if (type == null) {
        return rejector.reject(
            RejectReason.BROKEN_WARC_RECORD,
            "record has no WARC-Type header",
            raw.toByteArray(),
            location);
      }
      if (!type.equals("conversion")) {
        return new Parsed.Skipped(type);
      }
      return conversion(
          headers, raw.toByteArray(), body.toByteArray(), bodySize, tooLong, location);
    }
  }

  private Parsed conversion(
      Map<String, String> headers,
      byte[] raw,
      byte[] body,
      long bodySize,
      boolean tooLong,
      String location) {
    String url = headers.get("warc-target-uri");
    if (url == null || url.isBlank()) {
      return rejector.reject(
          RejectReason.BROKEN_WARC_RECORD,
          "conversion record has no WARC-Target-URI",
          raw,
          location);
    }
    if (tooLong || bodySize > rejector.maxDocumentBytes()) {
      return new Parsed.Rejected(
          rejector
              .rejection(
                  RejectReason.DOCUMENT_TOO_LARGE,
                  "text of "
                      + url
                      + " is over "
                      + IngestConfig.MAX_DOCUMENT_BYTES
                      + "="
                      + rejector.maxDocumentBytes()
                      + " bytes",
                  raw,
                  bodySize,
                  location)
              .setMeasured((double) bodySize)
              .setThreshold((double) rejector.maxDocumentBytes())
              .build());
    }
    String text;
    try {
      text = JsonlFormat.utf8(body).strip();
    } catch (CharacterCodingException e) {
      return rejector.reject(RejectReason.INVALID_UTF8, JsonlFormat.invalidUtf8(e), body, location);
    }
    Parsed.Rejected unusable = JsonlFormat.checkText(text, body, location, rejector);
    if (unusable != null) {
      return unusable;
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    put(attributes, "warc_record_id", headers.get("warc-record-id"));
    put(attributes, "warc_refers_to", headers.get("warc-refers-to"));
    put(attributes, "warc_type", "conversion");
    put(attributes, "origin", location);
    return new Parsed.Accepted(
        JsonlFormat.document(
                rejector.source(), null, url, date(headers.get("warc-date")), text, attributes)
            .setIngestedAt(rejector.clock().instant())
            .build());
  }

  private static boolean isVersionLine(LineReader.Line line) {
    byte[] b = line.bytes();
    return b.length >= 8
        && b.length <= 10
        && b[0] == 'W'
        && b[1] == 'A'
        && b[2] == 'R'
        && b[3] == 'C'
        && b[4] == '/';
  }

  private static Instant date(String value) {
    try {
      return value == null ? null : Instant.parse(value);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static void put(Map<String, String> map, String key, String value) {
    if (value != null) {
      map.put(key, value);
    }
  }
}
