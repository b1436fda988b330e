package dev.refinery.ingest;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one JSONL line into a {@link Document} of a declared source, or into a {@link
 * RejectedDocument} that says what is wrong with it. Never throws for bad input.
 */
final class JsonlFormat {
  private static final int MAX_ATTRIBUTE_CHARS = 1024;

  private final IngestConfig config;
  private final ObjectMapper json =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  JsonlFormat(IngestConfig config) {
    this.config = config;
  }

  /** The outcome for one input record. */
  sealed interface Parsed permits Accepted, Rejected {}

  record Accepted(Document document) implements Parsed {}

  record Rejected(RejectedDocument rejection) implements Parsed {}

  Parsed parse(LineReader.Line line, String location, SourceDeclaration source, Instant now) {
    Input in = new Input(source, line.bytes(), line.length(), location, now);
    if (line.tooLong()) {
      return new Rejected(
          rejection(
                  in,
                  RejectReason.DOCUMENT_TOO_LARGE,
                  "record of "
                      + line.length()
                      + " bytes is over "
                      + IngestConfig.MAX_DOCUMENT_BYTES
                      + "="
                      + config.maxDocumentBytes())
              .setMeasured((double) line.length())
              .setThreshold((double) config.maxDocumentBytes())
              .build());
    }
    String text;
    try {
      text = utf8().decode(ByteBuffer.wrap(in.bytes())).toString();
    } catch (CharacterCodingException e) {
      String where =
          e instanceof MalformedInputException m ? " (" + m.getInputLength() + " bad byte(s))" : "";
      return reject(
          in, RejectReason.INVALID_UTF8, "not valid UTF-8" + where + ": " + e.getMessage());
    }
    JsonNode node;
    try {
      node = json.readTree(text);
    } catch (JacksonException e) {
      return reject(
          in,
          RejectReason.MALFORMED_JSON,
          "malformed JSON: " + e.getOriginalMessage() + " at column " + column(e));
    }
    if (node == null || !node.isObject()) {
      return reject(
          in,
          RejectReason.NOT_AN_OBJECT,
          "a JSONL record must be a JSON object, found "
              + (node == null ? "nothing" : node.getNodeType()));
    }
    JsonNode textNode = at(node, config.textField());
    if (textNode == null || !textNode.isTextual()) {
      return reject(
          in,
          RejectReason.MISSING_TEXT,
          "no string field '" + config.textField() + "' (" + IngestConfig.TEXT_FIELD + ")");
    }
    String body = textNode.textValue();
    if (body.isBlank()) {
      return reject(in, RejectReason.EMPTY_TEXT, "field '" + config.textField() + "' is empty");
    }
    if (body.indexOf('\0') >= 0) {
      return reject(
          in,
          RejectReason.TEXT_HAS_NUL,
          "text contains a NUL character at index " + body.indexOf('\0'));
    }

    String nativeId = scalar(node, config.idField());
    String url = first(node, config.urlFields());
    String docId =
        nativeId != null
            ? DocumentIds.of(source.name(), nativeId)
            : url != null
                ? DocumentIds.of(source.name(), url)
                : DocumentIds.forContent(source.name(), body);
    Map<String, String> attributes = new LinkedHashMap<>();
    for (String field : config.attributeFields()) {
      String value = scalar(node, field);
      if (value != null) {
        attributes.put(
            field,
            value.length() > MAX_ATTRIBUTE_CHARS ? value.substring(0, MAX_ATTRIBUTE_CHARS) : value);
      }
    }
    attributes.put("origin", location);
    return new Accepted(
        Document.newBuilder()
            .setId(docId)
            .setSource(source.toSource())
            .setNativeId(nativeId != null ? nativeId : url)
            .setUrl(url)
            .setFetchedAt(time(first(node, config.timeFields())))
            .setIngestedAt(now)
            .setText(body)
            .setAttributes(attributes)
            .build());
  }

  /** The rejection for input that ended early: the bytes of the unfinished line, and why. */
  RejectedDocument truncated(
      byte[] partialLine, String location, SourceDeclaration source, Instant now, Exception cause) {
    return rejection(
            new Input(source, partialLine, partialLine.length, location, now),
            RejectReason.TRUNCATED_INPUT,
            "input ends early, the rest of the file is unreadable: " + cause)
        .build();
  }

  /** The rejection for a file that cannot be decoded at all, with its first bytes. */
  RejectedDocument corrupt(
      byte[] head,
      long size,
      String location,
      SourceDeclaration source,
      Instant now,
      Exception cause) {
    return rejection(
            new Input(source, head, size, location, now),
            RejectReason.CORRUPT_INPUT,
            "cannot decode the file: " + cause)
        .build();
  }

  /** One input record (bytes cut at the bound, full size) and where it came from. */
  private record Input(
      SourceDeclaration source, byte[] bytes, long size, String location, Instant now) {}

  private static CharsetDecoder utf8() {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
  }

  private static long column(JacksonException e) {
    return e.getLocation() == null ? -1 : e.getLocation().getColumnNr();
  }

  /** The node at a dotted path, or {@code null}. */
  static JsonNode at(JsonNode node, String path) {
    if (path == null || path.isEmpty()) {
      return null;
    }
    JsonNode current = node;
    for (String part : path.split("\\.")) {
      current = current == null ? null : current.get(part);
    }
    return current;
  }

  private static String scalar(JsonNode node, String path) {
    JsonNode value = at(node, path);
    if (value == null || value.isNull() || value.isContainerNode()) {
      return null;
    }
    String text = value.asText();
    return text.isEmpty() ? null : text;
  }

  private static String first(JsonNode node, List<String> paths) {
    for (String path : paths) {
      String value = scalar(node, path);
      if (value != null) {
        return value;
      }
    }
    return null;
  }

  /**
   * ISO-8601 date-time (with or without offset) or date, or epoch seconds/milliseconds; else null.
   */
  static Instant time(String value) {
    if (value == null) {
      return null;
    }
    try {
      double number = Double.parseDouble(value);
      long millis = Math.abs(number) < 1e11 ? (long) (number * 1000) : (long) number;
      return Instant.ofEpochMilli(millis);
    } catch (NumberFormatException notANumber) {
      // not epoch time: try ISO-8601
    }
    try {
      TemporalAccessor t = DateTimeFormatter.ISO_DATE_TIME.parse(value);
      if (t.isSupported(ChronoField.OFFSET_SECONDS)) {
        return Instant.from(t);
      }
      return LocalDateTime.from(t).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException notADateTime) {
      // try a plain date
    }
    try {
      return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private Rejected reject(Input in, RejectReason reason, String detail) {
    return new Rejected(rejection(in, reason, detail).build());
  }

  private RejectedDocument.Builder rejection(Input in, RejectReason reason, String detail) {
    return Rejections.of(
            DocumentIds.forBytes(in.source().name(), in.bytes()),
            Stage.INGEST,
            reason.name(),
            detail,
            in.bytes(),
            config.rejectedMaxBytes(),
            in.now())
        .setOriginalSize(in.size())
        .setSource(in.source().toSource())
        .setLocation(in.location());
  }
}
