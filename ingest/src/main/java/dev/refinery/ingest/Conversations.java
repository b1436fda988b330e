package dev.refinery.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refinery.schemas.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Supervised fine-tuning records in the shapes they are published in, read into the turns of a
 * conversation:
 *
 * <ul>
 *   <li>OpenAI chat: {@code messages}, a list of {@code {role, content}} (content a string, or a
 *       list of parts whose {@code text} is joined);
 *   <li>ShareGPT: {@code conversations}, a list of {@code {from, value}} ({@code human} is the
 *       user, {@code gpt} the assistant; {@code system}, {@code tool} and {@code function} as they
 *       are), an optional top-level {@code system} prompt first;
 *   <li>Alpaca: {@code instruction}, an optional {@code input} (added to the user's turn after a
 *       blank line) and {@code output}.
 * </ul>
 *
 * A conversation must have an assistant turn with text; roles are {@code system}, {@code user},
 * {@code assistant} and {@code tool}.
 */
final class Conversations {
  static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
  private static final Map<String, String> SHAREGPT =
      Map.of(
          "human", "user",
          "user", "user",
          "gpt", "assistant",
          "assistant", "assistant",
          "chatgpt", "assistant",
          "bing", "assistant",
          "system", "system",
          "tool", "tool",
          "function", "tool",
          "observation", "tool");

  /** A conversation read, or why the record is not a usable one. */
  record Read(List<Message> messages, String field, String problem) {}

  private Conversations() {}

  /** Whether the record has one of the shapes: it is then read as a conversation. */
  static boolean present(JsonNode node) {
    return node.has("messages")
        || node.has("conversations")
        || (node.has("instruction") && node.has("output"));
  }

  static Read read(JsonNode node) {
    List<Message> out = new ArrayList<>();
    if (node.has("messages")) {
      JsonNode list = node.get("messages");
      if (!list.isArray()) {
        return problem("messages", "must be a list of {role, content}");
      }
      for (int i = 0; i < list.size(); i++) {
        JsonNode m = list.get(i);
        String field = "messages[" + i + "]";
        String role = m.path("role").asText("").toLowerCase(Locale.ROOT);
        if (!ROLES.contains(role)) {
          return problem(field + ".role", "'" + role + "' is not one of " + ROLES);
        }
        String content = content(m.get("content"));
        if (content == null) {
          return problem(field + ".content", "must be a string or a list of text parts");
        }
        out.add(new Message(role, content));
      }
    } else if (node.has("conversations")) {
      JsonNode list = node.get("conversations");
      if (!list.isArray()) {
        return problem("conversations", "must be a list of {from, value}");
      }
      if (node.path("system").isTextual() && !node.get("system").asText().isBlank()) {
        out.add(new Message("system", node.get("system").asText()));
      }
      for (int i = 0; i < list.size(); i++) {
        JsonNode m = list.get(i);
        String field = "conversations[" + i + "]";
        String from = (m.has("from") ? m.get("from") : m.path("role")).asText("");
        String role = SHAREGPT.get(from.toLowerCase(Locale.ROOT));
        if (role == null) {
          return problem(field + ".from", "'" + from + "' is not one of " + SHAREGPT.keySet());
        }
        String content = content(m.has("value") ? m.get("value") : m.get("content"));
        if (content == null) {
          return problem(field + ".value", "must be a string");
        }
        out.add(new Message(role, content));
      }
    } else {
      JsonNode instruction = node.get("instruction");
      JsonNode output = node.get("output");
      if (!instruction.isTextual() || !output.isTextual()) {
        return problem(
            instruction.isTextual() ? "output" : "instruction", "must be a string (Alpaca)");
      }
      String input = node.path("input").asText("");
      out.add(new Message("user", instruction.asText() + (input.isBlank() ? "" : "\n\n" + input)));
      out.add(new Message("assistant", output.asText()));
    }
    boolean answered =
        out.stream().anyMatch(m -> m.getRole().equals("assistant") && !m.getContent().isBlank());
    if (!answered) {
      return problem(null, "has no assistant turn with text: nothing to learn from");
    }
    return new Read(out, null, null);
  }

  /** The contents joined by blank lines: what the filters and dedup read. */
  static String text(List<Message> messages) {
    StringBuilder b = new StringBuilder();
    for (Message m : messages) {
      if (!m.getContent().isBlank()) {
        b.append(b.length() == 0 ? "" : "\n\n").append(m.getContent());
      }
    }
    return b.toString();
  }

  private static String content(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (content.isArray()) {
      StringBuilder b = new StringBuilder();
      for (JsonNode part : content) {
        if (part.isTextual()) {
          b.append(part.asText());
        } else if (part.path("text").isTextual()) {
          b.append(part.get("text").asText());
        } else {
          return null;
        }
      }
      return b.toString();
    }
    return null;
  }

  private static Read problem(String field, String problem) {
    return new Read(List.of(), field, problem);
  }
}
