package dev.refinery.feedback;

import dev.refinery.schemas.Completion;
import dev.refinery.schemas.Sample;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * What the gateway keeps of a sample to check labels against it: its prompt, its completion ids,
 * and a 64-bit hash of each completion's text, so that a labeling tool that shows a completion's
 * text (not its id) can be oriented by what it showed.
 */
public record KnownSample(String promptId, List<String> completionIds, List<Long> textHashes) {
  public KnownSample {
    completionIds = List.copyOf(completionIds);
    textHashes = List.copyOf(textHashes);
    if (textHashes.size() != completionIds.size()) {
      throw new IllegalArgumentException("one text hash per completion");
    }
  }

  /** What the gateway keeps of a sample. */
  static KnownSample of(Sample sample) {
    return new KnownSample(
        sample.getPromptId(),
        sample.getCompletions().stream().map(Completion::getCompletionId).toList(),
        sample.getCompletions().stream().map(c -> textHash(c.getText())).toList());
  }

  /** The hash of a text as shown: the first 8 bytes of the SHA-256 of its stripped UTF-8. */
  static long textHash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(text.strip().getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(digest).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
