package dev.refinery.feedback;

import dev.refinery.schemas.Completion;
import dev.refinery.schemas.Sample;
import dev.refinery.schemas.VarInts;
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

  /**
   * The sample in the compact form {@link SampleIndex} keeps, one array: the prompt id, the number
   * of completions, then each completion's id and text hash; a string is its UTF-8 after its length
   * (a varint). Kept in memory only, never stored, so it has no version. For a sample of two
   * completions with UUIDs for ids, the index held 476 bytes of heap a sample as records of strings
   * and lists, and holds 246 in this form (739 and 349 with four completions).
   */
  byte[] toCompact() {
    List<byte[]> ids =
        completionIds.stream().map(id -> id.getBytes(StandardCharsets.UTF_8)).toList();
    byte[] prompt = promptId.getBytes(StandardCharsets.UTF_8);
    int bound = VarInts.MAX_BYTES * (2 + ids.size()) + prompt.length + 8 * ids.size();
    for (byte[] id : ids) {
      bound += id.length;
    }
    ByteBuffer out = ByteBuffer.allocate(bound);
    putBytes(out, prompt);
    VarInts.put(out, ids.size());
    for (int i = 0; i < ids.size(); i++) {
      putBytes(out, ids.get(i));
      out.putLong(textHashes.get(i));
    }
    return java.util.Arrays.copyOf(out.array(), out.position());
  }

  /** The sample {@link #toCompact} wrote. */
  static KnownSample ofCompact(byte[] compact) {
    ByteBuffer in = ByteBuffer.wrap(compact);
    String prompt = readString(in);
    int n = (int) VarInts.get(in);
    List<String> ids = new java.util.ArrayList<>(n);
    List<Long> hashes = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ids.add(readString(in));
      hashes.add(in.getLong());
    }
    return new KnownSample(prompt, ids, hashes);
  }

  private static void putBytes(ByteBuffer out, byte[] bytes) {
    VarInts.put(out, bytes.length);
    out.put(bytes);
  }

  private static String readString(ByteBuffer in) {
    int length = (int) VarInts.get(in);
    String s = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
    in.position(in.position() + length);
    return s;
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
