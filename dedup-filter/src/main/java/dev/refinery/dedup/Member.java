package dev.refinery.dedup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;

/**
 * A document as a dedup key knows it: its event time, its id, and the raw record it came from.
 * Order is by (event time, id): invariant 3 says a document may only be a duplicate of a smaller
 * one.
 *
 * @param eventTime the document's fetch time, else its ingest time, in epoch milliseconds
 * @param docId the document's id
 * @param instance the raw record (partition:offset), to tell a replay of the same document apart
 */
record Member(long eventTime, String docId, String instance) implements Comparable<Member> {
  private static final Comparator<Member> ORDER =
      Comparator.comparingLong(Member::eventTime).thenComparing(Member::docId);

  @Override
  public int compareTo(Member other) {
    return ORDER.compare(this, other);
  }

  /** The same document (same id), whichever record carried it. */
  boolean sameDocument(Member other) {
    return docId.equals(other.docId);
  }

  byte[] toBytes() {
    byte[] id = docId.getBytes(StandardCharsets.UTF_8);
    byte[] inst = instance.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + 2 + id.length + 2 + inst.length)
        .putLong(eventTime)
        .putShort((short) id.length)
        .put(id)
        .putShort((short) inst.length)
        .put(inst)
        .array();
  }

  static Member read(ByteBuffer in) {
    long time = in.getLong();
    byte[] id = new byte[in.getShort()];
    in.get(id);
    byte[] inst = new byte[in.getShort()];
    in.get(inst);
    return new Member(
        time, new String(id, StandardCharsets.UTF_8), new String(inst, StandardCharsets.UTF_8));
  }

  static Member fromBytes(byte[] bytes) {
    return read(ByteBuffer.wrap(bytes));
  }
}
