package dev.refinery.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/** Reading the fields of a JSON payload, with errors that name the field's path. */
final class Json {
  private Json() {}

  /** {@code path.name}, or {@code name} at the root. */
  static String at(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  static JsonNode object(JsonNode parent, String name, String path) throws BadPayload {
    JsonNode node = parent.get(name);
    if (node == null || !node.isObject()) {
      throw new BadPayload(at(path, name), node == null ? "missing" : "must be an object");
    }
    return node;
  }

  static JsonNode array(JsonNode parent, String name, String path) throws BadPayload {
    JsonNode node = parent.get(name);
    if (node == null || !node.isArray()) {
      throw new BadPayload(at(path, name), node == null ? "missing" : "must be an array");
    }
    return node;
  }

  /** A required non-empty string (a number is taken as its decimal text, as tools send ids). */
  static String text(JsonNode parent, String name, String path) throws BadPayload {
    String value = optionalText(parent, name, path);
    if (value == null) {
      throw new BadPayload(at(path, name), "missing");
    }
    return value;
  }

  static String optionalText(JsonNode parent, String name, String path) throws BadPayload {
    JsonNode node = parent.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      if (node.asText().isBlank()) {
        throw new BadPayload(at(path, name), "must not be blank");
      }
      return node.asText();
    }
    if (node.isIntegralNumber()) {
      return node.asText();
    }
    throw new BadPayload(at(path, name), "must be a string, not " + node.getNodeType());
  }

  static Double optionalNumber(JsonNode parent, String name, String path) throws BadPayload {
    JsonNode node = parent.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isNumber() || !Double.isFinite(node.asDouble())) {
      throw new BadPayload(at(path, name), "must be a finite number");
    }
    return node.asDouble();
  }

  static boolean flag(JsonNode parent, String name, String path) throws BadPayload {
    JsonNode node = parent.get(name);
    if (node == null || node.isNull()) {
      return false;
    }
    if (!node.isBoolean()) {
      throw new BadPayload(at(path, name), "must be true or false");
    }
    return node.asBoolean();
  }

  /**
   * A time: epoch milliseconds, or ISO-8601 with or without an offset (none is UTC, as Argilla and
   * Label Studio write naive UTC times).
   */
  static Instant optionalTime(JsonNode parent, String name, String path) throws BadPayload {
    JsonNode node = parent.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isIntegralNumber()) {
      return Instant.ofEpochMilli(node.asLong());
    }
    if (!node.isTextual()) {
      throw new BadPayload(at(path, name), "must be an ISO-8601 time or epoch milliseconds");
    }
    String text = node.asText();
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException notOffset) {
      try {
        return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException e) {
        throw new BadPayload(at(path, name), "'" + text + "' is not an ISO-8601 time");
      }
    }
  }

  static Instant time(JsonNode parent, String name, String path) throws BadPayload {
    Instant time = optionalTime(parent, name, path);
    if (time == null) {
      throw new BadPayload(at(path, name), "missing");
    }
    return time;
  }
}
