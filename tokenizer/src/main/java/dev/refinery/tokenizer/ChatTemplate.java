package dev.refinery.tokenizer;

import dev.refinery.schemas.Message;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * How a conversation becomes tokens for supervised fine-tuning. Each turn is {@code begin} (with
 * {@code {role}} replaced by the turn's role) + its content + {@code end} + {@code separator}; the
 * default is ChatML: {@code <|im_start|>{role}\n}, content, {@code <|im_end|>}, {@code \n}.
 *
 * <p>The tokens a trainer learns from are the contents and end markers of the turns whose role is
 * in {@code learnedRoles} (the assistant's by default); every begin marker, separator and other
 * turn is context only.
 *
 * <p>A marker named in {@code specials} (e.g. {@code <|im_start|>=100264}, as OpenAI's chat models
 * extend cl100k_base) is written as that one token id wherever the template has it; elsewhere the
 * markers are encoded as the encoding encodes their text (cl100k_base and o200k_base declare no
 * {@code <|im_start|>}). A message's content is always encoded as ordinary text, so a user cannot
 * forge a turn by typing a marker.
 */
final class ChatTemplate implements Serializable {
  private static final long serialVersionUID = 1L;

  static final String DEFAULT_BEGIN = "<|im_start|>{role}\n";
  static final String DEFAULT_END = "<|im_end|>";
  static final String DEFAULT_SEPARATOR = "\n";

  /** ChatML with its markers as text, the assistant's turns learned. */
  static final ChatTemplate CHATML =
      new ChatTemplate(
          DEFAULT_BEGIN, DEFAULT_END, DEFAULT_SEPARATOR, Set.of("assistant"), Map.of());

  /** A rendered conversation: its tokens, and the [start, end) pairs of those to learn from. */
  record Rendered(int[] tokens, int[] lossRanges) {}

  private final String begin;
  private final String end;
  private final String separator;
  private final Set<String> learnedRoles;
  private final TreeMap<String, Integer> specials;

  ChatTemplate(
      String begin,
      String end,
      String separator,
      Set<String> learnedRoles,
      Map<String, Integer> specials) {
    if (!begin.contains("{role}")) {
      throw new IllegalArgumentException(
          "the turn's begin marker must name its role with {role}: " + begin);
    }
    this.begin = begin;
    this.end = end;
    this.separator = separator;
    this.learnedRoles = Set.copyOf(learnedRoles);
    this.specials = new TreeMap<>(specials);
  }

  /** Renders the conversation with the default template. */
  static Rendered render(List<Message> messages, Tokenizer tokenizer) {
    return CHATML.apply(messages, tokenizer);
  }

  Rendered apply(List<Message> messages, Tokenizer tokenizer) {
    IntList tokens = new IntList();
    List<Integer> ranges = new ArrayList<>();
    for (Message m : messages) {
      markers(begin.replace("{role}", m.getRole()), tokenizer, tokens);
      int start = tokens.size;
      if (specials.keySet().stream().noneMatch(end::contains)) {
        // content and a text marker in one encoding, as a model sees them written
        tokens.add(tokenizer.encode(m.getContent() + end));
      } else {
        tokens.add(tokenizer.encode(m.getContent()));
        markers(end, tokenizer, tokens);
      }
      if (learnedRoles.contains(m.getRole()) && tokens.size > start) {
        ranges.add(start);
        ranges.add(tokens.size);
      }
      markers(separator, tokenizer, tokens);
    }
    return new Rendered(tokens.toArray(), ranges.stream().mapToInt(Integer::intValue).toArray());
  }

  /** A marker text: its special tokens as their ids, the text between them encoded. */
  private void markers(String text, Tokenizer tokenizer, IntList out) {
    int from = 0;
    while (from < text.length()) {
      int at = -1;
      String found = null;
      for (String s : specials.keySet()) {
        int i = text.indexOf(s, from);
        if (i >= 0 && (at < 0 || i < at || (i == at && s.length() > found.length()))) {
          at = i;
          found = s;
        }
      }
      if (found == null) {
        out.add(tokenizer.encode(text.substring(from)));
        return;
      }
      if (at > from) {
        out.add(tokenizer.encode(text.substring(from, at)));
      }
      out.add(new int[] {specials.get(found)});
      from = at + found.length();
    }
  }

  /** A growable int array. */
  private static final class IntList {
    private int[] values = new int[64];
    private int size;

    void add(int[] more) {
      if (size + more.length > values.length) {
        values = java.util.Arrays.copyOf(values, Math.max(values.length * 2, size + more.length));
      }
      System.arraycopy(more, 0, values, size, more.length);
      size += more.length;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(values, size);
    }
  }
}
