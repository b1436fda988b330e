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
 * @param textHash the first 64 bits of the document's exact fingerprint ({@link
 *     TextFingerprint#of}), so that a copy found through another key (a MinHash band, its URL) is
 *     still named an exact duplicate; 0 when unknown (a rejected document, version 0)
 *     <p>Stored (in the {@code dedup-smallest} and {@code dedup-pending} stores, inside {@link
 *     Gather} answers and gather states) as: version 1: {@code 0x01}, event time (int64), id length
 *     (int16), id (UTF-8), instance length (int16), instance (UTF-8). Version 0 (before 0.2) is the
 *     same without the leading byte; its first byte is that of the event time, {@code 0x00} (or
 *     {@code 0xFF} before 1970), so {@link #read} tells them apart and reads both.
 */
record Member(long eventTime, String docId, String instance, long textHash)
    implements Comparable<Member> {
  private static final Comparator<Member> ORDER =
      Comparator.comparingLong(Member::eventTime).thenComparing(Member::docId);

  @Override
  public int compareTo(Member other) {
    return ORDER.compare(this, other);
  }

  Member(long eventTime, String docId, String instance) {
    this(eventTime, docId, instance, 0);
  }

  /** The same document (same id), whichever record carried it. */
  boolean sameDocument(Member other) {
    return docId.equals(other.docId);
  }

  /** The version {@link #toBytes} writes. */
  static final byte VERSION = 1;

  byte[] toBytes() {
    byte[] id = docId.getBytes(StandardCharsets.UTF_8);
    byte[] inst = instance.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + 8 + 8 + 2 + id.length + 2 + inst.length)
        .put(VERSION)
        .putLong(eventTime)
        .putLong(textHash)
        .putShort((short) id.length)
        .put(id)
        .putShort((short) inst.length)
        .put(inst)
        .array();
  }

  /** Reads a member of any version from the buffer's position. */
  static Member read(ByteBuffer in) {
    byte first = in.get(in.position());
    boolean v1 = first == VERSION;
    if (v1) {
      in.get();
    } else if (first != 0 && first != (byte) 0xFF) {
      throw new IllegalArgumentException("unknown member version " + first);
    }
    long time = in.getLong();
    long textHash = v1 ? in.getLong() : 0;
    byte[] id = new byte[in.getShort()];
    in.get(id);
    byte[] inst = new byte[in.getShort()];
    in.get(inst);
    return new Member(
        time,
        new String(id, StandardCharsets.UTF_8),
        new String(inst, StandardCharsets.UTF_8),
        textHash);
  }

  static Member fromBytes(byte[] bytes) {
    return read(ByteBuffer.wrap(bytes));
  }
}
