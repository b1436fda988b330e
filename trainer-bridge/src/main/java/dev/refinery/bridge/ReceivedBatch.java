package dev.refinery.bridge;

import dev.refinery.schemas.TokenBatch;

/**
 * A record read from a token topic: the batch, or why it could not be decoded, with where it was.
 *
 * @param batch the decoded batch, {@code null} if it did not decode
 * @param error why it did not decode, {@code null} if it did
 */
public record ReceivedBatch(
    String topic, int partition, long offset, TokenBatch batch, String error) {
  public boolean ok() {
    return batch != null;
  }

  public String position() {
    return topic + "[" + partition + "]@" + offset;
  }
}
