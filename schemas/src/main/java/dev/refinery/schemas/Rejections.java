package dev.refinery.schemas;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;

/** Builds {@link RejectedDocument}s the same way in every stage. */
public final class Rejections {
  private Rejections() {}

  /**
   * A rejection with the original bytes cut to {@code maxOriginalBytes}; {@code original_size}
   * keeps the full size. Callers add {@code dup_of}, {@code measured}, {@code threshold}, {@code
   * source} and {@code location} where they know them.
   */
  public static RejectedDocument.Builder of(
      String docId,
      Stage stage,
      String reason,
      String detail,
      byte[] original,
      int maxOriginalBytes,
      Instant at) {
    byte[] kept =
        original.length <= maxOriginalBytes ? original : Arrays.copyOf(original, maxOriginalBytes);
    return RejectedDocument.newBuilder()
        .setDocId(docId)
        .setStage(stage)
        .setReason(reason)
        .setDetail(detail)
        .setOriginal(ByteBuffer.wrap(kept))
        .setOriginalSize(original.length)
        .setRejectedAt(at);
  }
}
