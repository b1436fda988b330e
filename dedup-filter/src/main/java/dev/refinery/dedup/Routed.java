package dev.refinery.dedup;

import dev.refinery.schemas.RejectedDocument;

/**
 * Where the screening step sends what it made of a raw record: a rejection, the document to its
 * gathering step, or one of its dedup keys to the key's task. Passed between processors in memory.
 */
sealed interface Routed permits Routed.Rejected, Routed.ToGather, Routed.ToKey {
  record Rejected(RejectedDocument rejection) implements Routed {}

  /** A {@link Gather} message, keyed by {@code <doc id>@<instance>}. */
  record ToGather(byte[] message) implements Routed {}

  /** A {@link Member}, keyed by the encoded {@link DedupKey}. */
  record ToKey(byte[] member) implements Routed {}
}
