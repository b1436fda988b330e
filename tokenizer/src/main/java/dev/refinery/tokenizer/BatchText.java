package dev.refinery.tokenizer;

import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;

/** Token batches shown as text, for people reading them in a terminal. */
public final class BatchText {
  private BatchText() {}

  /**
   * The first sequence of a batch as text, special tokens shown, new lines as ⏎, cut at {@code
   * chars}.
   */
  public static String firstSequence(TokenBatch batch, int chars) {
    if (!Tokenizer.builtInNames().contains(batch.getTokenizer())) {
      return "(" + batch.getTokenizer() + " is not a built-in encoding: not decoded here)";
    }
    Tokenizer tokenizer = Tokenizer.forName(batch.getTokenizer());
    int[] tokens = TokenBytes.of(batch);
    String text = tokenizer.decode(tokens, 0, batch.getSeqLen()).replace("\n", "⏎");
    return text.length() <= chars ? text : text.substring(0, chars) + "…";
  }
}
