package dev.refinery.ingest;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one JSON object (a JSONL line, or an element of a pushed batch) into a {@link Document} of
 * a declared source, or into a rejection that says what is wrong with it. Never throws for bad
 * input.
 *
 * <p>The field mapping is configurable; the defaults read Dolma ({@code id, text, created,
 * metadata.*}) and RedPajama ({@code text} or {@code raw_content}, {@code meta.*}) as they are.
 */
final class JsonlFormat {
  static final int MAX_ATTRIBUTES = 64;
  static final int MAX_ATTRIBUTE_CHARS = 1024;
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private final IngestConfig config;
  private final Multimodal multimodal;
  private final MultimodalJson images;

  /** The format of pushed records: images only inline. */
  JsonlFormat(IngestConfig config) {
    this(config, null);
  }

  /**
   * The format of the records of a file in {@code folder}, where the paths of their images resolve.
   */
  JsonlFormat(IngestConfig config, java.nio.file.Path folder) {
    this.config = config;
    this.multimodal = new Multimodal(config);
    this.images = new MultimodalJson(folder, config.imageLimits().maxBytes());
  }

  /**
   * Parses one record.
   *
   * @param bytes the record, cut at the bound if {@code size} is larger
   * @param size the record's full size in bytes
   */
  Parsed parse(byte[] bytes, long size, String location, Rejector rejector) {
    if (size > config.maxDocumentBytes()) {
      return new Parsed.Rejected(
          rejector
              .rejection(
                  RejectReason.DOCUMENT_TOO_LARGE,
                  "record of "
                      + size
                      + " bytes is over "
                      + IngestConfig.MAX_DOCUMENT_BYTES
                      + "="
                      + config.maxDocumentBytes(),
                  bytes,
                  size,
                  location)
              .setMeasured((double) size)
              .setThreshold((double) config.maxDocumentBytes())
              .build());
    }
    JsonNode node;
    try {
      // the byte parser checks UTF-8 as it goes: no separate decoding pass
      node = JSON.readTree(bytes);
    } catch (JacksonException e) {
      String message = e.getOriginalMessage();
      if (message != null && message.startsWith("Invalid UTF-8")) {
        return rejector.reject(
            RejectReason.INVALID_UTF8,
            "not valid UTF-8: " + message + " at byte " + offset(e),
            bytes,
            location);
      }
      return rejector.reject(
          RejectReason.MALFORMED_JSON,
          "malformed JSON: " + message + " at column " + column(e),
          bytes,
          location);
    } catch (java.io.IOException e) {
      return rejector.reject(
          RejectReason.MALFORMED_JSON, "malformed JSON: " + e.getMessage(), bytes, location);
    }
    return parse(node, bytes, location, rejector);
  }

  /** Maps an already parsed JSON value; {@code bytes} are its original bytes, for a rejection. */
  Parsed parse(JsonNode node, byte[] bytes, String location, Rejector rejector) {
    if (node == null || !node.isObject()) {
      return rejector.reject(
          RejectReason.NOT_AN_OBJECT,
          "a record must be a JSON object, found "
              + (node == null ? "nothing" : node.getNodeType()),
          bytes,
          location);
    }
    if (MultimodalJson.present(node)) {
      return multimodal(node, bytes, location, rejector);
    }
    JsonNode textNode = firstNode(node, config.textFields());
    if (textNode == null && Conversations.present(node)) {
      return conversation(node, bytes, location, rejector);
    }
    if (textNode == null || !textNode.isTextual()) {
      return rejector.reject(
          RejectReason.MISSING_TEXT,
          "no string field " + config.textFields() + " (" + IngestConfig.TEXT_FIELD + ")",
          bytes,
          location);
    }
    String body = textNode.textValue();
    Parsed.Rejected unusable = checkText(body, bytes, location, rejector);
    if (unusable != null) {
      return unusable;
    }
    String nativeId = first(node, config.idFields());
    String url = first(node, config.urlFields());
    Map<String, String> attributes = attributes(node);
    attributes.put("origin", location);
    return new Parsed.Accepted(
        document(
                rejector.source(),
                nativeId,
                url,
                time(first(node, config.timeFields())),
                body,
                attributes)
            .setIngestedAt(rejector.clock().instant())
            .build());
  }

  /** A record of text and images (OBELICS, MMC4, interleaved content, image-caption pairs). */
  private Parsed multimodal(JsonNode node, byte[] bytes, String location, Rejector rejector) {
    List<Multimodal.Element> elements;
    try {
      elements = images.elements(node, config.textFields());
    } catch (MultimodalJson.ShapeException e) {
      return rejector.reject(RejectReason.BAD_MULTIMODAL, e.getMessage(), bytes, location);
    }
    Map<String, String> attributes = attributes(node);
    attributes.put("origin", location);
    return multimodal.build(
        elements,
        Multimodal.PARAGRAPHS,
        first(node, config.idFields()),
        first(node, config.urlFields()),
        time(first(node, config.timeFields())),
        attributes,
        bytes,
        location,
        rejector);
  }

  /** A supervised fine-tuning record: its turns, and their contents as the text. */
  private Parsed conversation(JsonNode node, byte[] bytes, String location, Rejector rejector) {
    Conversations.Read read = Conversations.read(node);
    if (read.problem() != null) {
      return rejector.reject(
          RejectReason.BAD_CONVERSATION,
          (read.field() == null ? "the conversation" : read.field()) + " " + read.problem(),
          bytes,
          location);
    }
    // the joined contents hold every turn's text: NULs and lone surrogates are found there
    String body = Conversations.text(read.messages());
    Parsed.Rejected unusable = checkText(body, bytes, location, rejector);
    if (unusable != null) {
      return unusable;
    }
    Map<String, String> attributes = attributes(node);
    attributes.put("origin", location);
    attributes.put(
        "format",
        node.has("messages") ? "openai" : node.has("conversations") ? "sharegpt" : "alpaca");
    return new Parsed.Accepted(
        document(
                rejector.source(),
                first(node, config.idFields()),
                first(node, config.urlFields()),
                time(first(node, config.timeFields())),
                body,
                attributes)
            .setMessages(read.messages())
            .setIngestedAt(rejector.clock().instant())
            .build());
  }

  /**
   * Rejects a text that is empty, holds NUL characters or an unpaired surrogate (which no UTF-8 can
   * carry: a JSON {@code \\uD800} escape, or CESU-8 bytes); {@code null} if it can be used.
   */
  static Parsed.Rejected checkText(String body, byte[] bytes, String location, Rejector rejector) {
    if (body.isBlank()) {
      return rejector.reject(RejectReason.EMPTY_TEXT, "the text is empty", bytes, location);
    }
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '\0') {
        return rejector.reject(
            RejectReason.TEXT_HAS_NUL,
            "text contains a NUL character at index " + i,
            bytes,
            location);
      }
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < body.length()
            && Character.isLowSurrogate(body.charAt(i + 1))) {
          i++;
        } else {
          return rejector.reject(
              RejectReason.INVALID_UTF8,
              "text has an unpaired surrogate at index " + i,
              bytes,
              location);
        }
      }
    }
    return null;
  }

  /**
   * A document of a source, with the stable id of its native id, else its URL, else its text. The
   * caller sets the ingest time.
   */
  static Document.Builder document(
      SourceDeclaration source,
      String nativeId,
      String url,
      Instant fetchedAt,
      String text,
      Map<String, String> attributes) {
    String id =
        nativeId != null
            ? DocumentIds.of(source.name(), nativeId)
            : url != null
                ? DocumentIds.of(source.name(), url)
                : DocumentIds.forContent(source.name(), text);
    return Document.newBuilder()
        .setId(id)
        .setSource(source.toSource())
        .setNativeId(nativeId != null ? nativeId : url)
        .setUrl(url)
        .setFetchedAt(fetchedAt)
        .setText(text)
        .setAttributes(attributes);
  }

  /** Strict UTF-8 decoding. */
  static String utf8(byte[] bytes) throws CharacterCodingException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    return decoder.decode(ByteBuffer.wrap(bytes)).toString();
  }

  static String invalidUtf8(CharacterCodingException e) {
    String where =
        e instanceof MalformedInputException m ? " (" + m.getInputLength() + " bad byte(s))" : "";
    return "not valid UTF-8" + where + ": " + e.getMessage();
  }

  private Map<String, String> attributes(JsonNode node) {
    Map<String, String> attributes = new LinkedHashMap<>();
    for (String field : config.attributeFields()) {
      if (field.endsWith(".*")) {
        JsonNode object = at(node, field.substring(0, field.length() - 2));
        if (object != null && object.isObject()) {
          String prefix = field.substring(0, field.length() - 1);
          for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            put(attributes, prefix + entry.getKey(), scalar(entry.getValue()));
          }
        }
      } else {
        put(attributes, field, scalar(at(node, field)));
      }
    }
    return attributes;
  }

  private static void put(Map<String, String> attributes, String key, String value) {
    if (value != null && attributes.size() < MAX_ATTRIBUTES) {
      attributes.put(
          key,
          value.length() > MAX_ATTRIBUTE_CHARS ? value.substring(0, MAX_ATTRIBUTE_CHARS) : value);
    }
  }

  private static long offset(JacksonException e) {
    return e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
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

  private static JsonNode firstNode(JsonNode node, List<String> paths) {
    for (String path : paths) {
      JsonNode value = at(node, path);
      if (value != null && !value.isNull()) {
        return value;
      }
    }
    return null;
  }

  private static String scalar(JsonNode value) {
    if (value == null || value.isNull() || value.isContainerNode()) {
      return null;
    }
    String text = value.asText();
    return text.isEmpty() ? null : text;
  }

  private static String first(JsonNode node, List<String> paths) {
    for (String path : paths) {
      String value = scalar(at(node, path));
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
}
