package dev.refinery.dedup;

import java.nio.ByteBuffer;

/**
 * What the screening task of a partition of {@code corpus.raw.v1} tells every partition of {@code
 * dedup-by-key} once it has read that partition to its end: everything written to it before {@code
 * at} has been read, and its keys sent before this mark. A bucket task then counts the partition
 * read past {@code at} ({@link ReadProgress}), though no document of it has come since: a partition
 * with nothing more to read holds no answer, and one read behind holds them until it is read.
 *
 * <p>Format (internal to the stage, on {@code dedup-by-key}): {@code 0x30}, the partition (int32)
 * and {@code at} (int64, epoch milliseconds by the clock of the instance that read it). The leading
 * byte tells it from a {@link KeyBatch} ({@code 0x20}) and a single {@link Member}.
 *
 * @param partition the partition of {@code corpus.raw.v1}
 * @param at the moment it had been read to its end
 */
record ReadMark(int partition, long at) {
  static final byte VERSION = 0x30;

  private static final int SIZE = 1 + 4 + 8;

  /** The record key of every mark: the topology sends a mark to every partition, whatever it is. */
  static final String RECORD_KEY = "read-mark";

  ReadMark {
    if (partition < 0) {
      throw new IllegalArgumentException("read mark of partition " + partition);
    }
  }

  /** Whether a {@code dedup-by-key} value is a mark. */
  static boolean is(byte[] value) {
    return value != null && value.length > 0 && value[0] == VERSION;
  }

  byte[] toBytes() {
    return ByteBuffer.allocate(SIZE).put(VERSION).putInt(partition).putLong(at).array();
  }

  static ReadMark fromBytes(byte[] bytes) {
    if (bytes.length != SIZE || bytes[0] != VERSION) {
      throw new IllegalArgumentException(
          "not a read mark: "
              + bytes.length
              + " bytes, version "
              + (bytes.length > 0 ? bytes[0] : -1));
    }
    ByteBuffer in = ByteBuffer.wrap(bytes, 1, SIZE - 1);
    return new ReadMark(in.getInt(), in.getLong());
  }
}
