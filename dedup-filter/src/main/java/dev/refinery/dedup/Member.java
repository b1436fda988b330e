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
 *     still named an exact duplicate; 0 when unknown (a rejected document, version 0); for an
 *     image's member, the image's perceptual hash
 * @param part {@link #TEXT} for the document's text keys, else the index of the image whose keys
 *     the member holds
 *     <p>Stored (in the {@code dedup-smallest} and {@code dedup-pending} stores, inside {@link
 *     Gather} answers and gather states) as: version 1: {@code 0x01}, event time (int64), text hash
 *     (int64), id length (int16), id (UTF-8), instance length (int16), instance (UTF-8). Version 2
 *     (an image's member) adds the image index (int16) after the text hash. Version 0 (before 0.2)
 *     had neither the leading byte nor the text hash; its first byte is that of the event time,
 *     {@code 0x00} (or {@code 0xFF} before 1970), so {@link #read} tells them apart and reads both.
 */
record Member(long eventTime, String docId, String instance, long textHash, int part)
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

  Member(long eventTime, String docId, String instance, long textHash) {
    this(eventTime, docId, instance, textHash, TEXT);
  }

  /** {@link #part} of a member that stands for the document's text. */
  static final int TEXT = -1;

  /** The same document's image {@code index}, holding {@code phash} in place of a text hash. */
  Member image(int index, long phash) {
    return new Member(eventTime, docId, instance, phash, index);
  }

  /** The same document (same id), whichever record carried it. */
  boolean sameDocument(Member other) {
    return docId.equals(other.docId);
  }

  /** The version {@link #toBytes} writes for a document's text. */
  static final byte VERSION = 1;

  /** The version {@link #toBytes} writes for one of its images: version 1 and its index. */
  static final byte IMAGE_VERSION = 2;

  byte[] toBytes() {
    byte[] id = docId.getBytes(StandardCharsets.UTF_8);
    byte[] inst = instance.getBytes(StandardCharsets.UTF_8);
    boolean image = part != TEXT;
    ByteBuffer out =
        ByteBuffer.allocate(1 + 8 + 8 + (image ? 2 : 0) + 2 + id.length + 2 + inst.length)
            .put(image ? IMAGE_VERSION : VERSION)
            .putLong(eventTime)
            .putLong(textHash);
    if (image) {
      out.putShort((short) part);
    }
    return out.putShort((short) id.length).put(id).putShort((short) inst.length).put(inst).array();
  }

  /** Reads a member of any version from the buffer's position. */
  static Member read(ByteBuffer in) {
    byte first = in.get(in.position());
    boolean v1 = first == VERSION || first == IMAGE_VERSION;
    if (v1) {
      in.get();
    } else if (first != 0 && first != (byte) 0xFF) {
      throw new IllegalArgumentException("unknown member version " + first);
    }
    long time = in.getLong();
    long textHash = v1 ? in.getLong() : 0;
    int part = first == IMAGE_VERSION ? in.getShort() & 0xFFFF : TEXT;
    byte[] id = new byte[in.getShort()];
    in.get(id);
    byte[] inst = new byte[in.getShort()];
    in.get(inst);
    return new Member(
        time,
        new String(id, StandardCharsets.UTF_8),
        new String(inst, StandardCharsets.UTF_8),
        textHash,
        part);
  }

  static Member fromBytes(byte[] bytes) {
    return read(ByteBuffer.wrap(bytes));
  }
}
