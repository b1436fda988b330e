package dev.refinery.tokenizer;

import dev.refinery.schemas.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * How a conversation becomes tokens for supervised fine-tuning, ChatML-style: each turn is {@code
 * <|im_start|>role\n} + its content + {@code <|im_end|>\n}. The markers are encoded as the encoding
 * encodes that text (cl100k_base and o200k_base do not declare them as special tokens). The tokens
 * a trainer learns from are the assistant turns' contents and their end markers; the system and
 * user turns, and every turn's header, are context only.
 */
final class ChatTemplate {
  /** A rendered conversation: its tokens, and the [start, end) pairs of those to learn from. */
  record Rendered(int[] tokens, int[] lossRanges) {}

  private ChatTemplate() {}

  static Rendered render(List<Message> messages, Tokenizer tokenizer) {
    List<int[]> parts = new ArrayList<>();
    List<Integer> ranges = new ArrayList<>();
    int length = 0;
    for (Message m : messages) {
      int[] header = tokenizer.encode("<|im_start|>" + m.getRole() + "\n");
      int[] body = tokenizer.encode(m.getContent() + "<|im_end|>");
      int[] newline = tokenizer.encode("\n");
      parts.add(header);
      length += header.length;
      if (m.getRole().equals("assistant") && body.length > 0) {
        ranges.add(length);
        ranges.add(length + body.length);
      }
      parts.add(body);
      length += body.length;
      parts.add(newline);
      length += newline.length;
    }
    int[] tokens = new int[length];
    int at = 0;
    for (int[] p : parts) {
      System.arraycopy(p, 0, tokens, at, p.length);
      at += p.length;
    }
    return new Rendered(tokens, ranges.stream().mapToInt(Integer::intValue).toArray());
  }
}
