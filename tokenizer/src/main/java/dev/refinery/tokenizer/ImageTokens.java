package dev.refinery.tokenizer;

import dev.refinery.schemas.ImageRef;
import java.io.Serializable;

/**
 * How an image occupies positions of a token sequence: a begin token, placeholder tokens (where a
 * trainer puts the vision encoder's embeddings), an end token. The number of placeholders is fixed,
 * or follows the image's resolution (one per patch of {@code patch × patch} pixels, at most {@code
 * maxTokens}); the whole block never exceeds a sequence, so it is never split across two.
 *
 * @param begin id of the token before an image's placeholders
 * @param end id of the token after them
 * @param placeholder id of each placeholder
 * @param fixed placeholders of every image; 0: from its resolution
 * @param patch pixels a side of one patch, for placeholders from resolution
 * @param maxTokens most placeholders of an image
 */
record ImageTokens(int begin, int end, int placeholder, int fixed, int patch, int maxTokens)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Tokens the image takes, begin and end included, in a sequence of {@code seqLen}. */
  int length(ImageRef image, int seqLen) {
    long n =
        fixed > 0
            ? fixed
            : (long) ceilDiv(image.getWidth(), patch) * ceilDiv(image.getHeight(), patch);
    return (int) Math.min(Math.min(n, maxTokens), seqLen - 2L) + 2;
  }

  /** Writes the block of {@code length} tokens at {@code at}. */
  void write(int[] tokens, int at, int length) {
    tokens[at] = begin;
    for (int i = 1; i < length - 1; i++) {
      tokens[at + i] = placeholder;
    }
    tokens[at + length - 1] = end;
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }
}
