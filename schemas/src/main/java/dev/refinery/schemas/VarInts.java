package dev.refinery.schemas;

import java.nio.ByteBuffer;

/**
 * Unsigned LEB128 varints, as Protocol Buffers and Avro's lengths write them: seven bits a byte,
 * low bits first, the high bit set on every byte but the last. For the compact binary forms the
 * stages keep of their own (a dedup key's holder, the gateway's known samples).
 */
public final class VarInts {
  private VarInts() {}

  /** The most bytes a varint of a {@code long} takes. */
  public static final int MAX_BYTES = 10;

  /** Writes {@code v} (as unsigned) at the buffer's position. */
  public static void put(ByteBuffer out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.put((byte) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }

  /**
   * Reads a varint at the buffer's position.
   *
   * @throws IllegalArgumentException when it runs past ten bytes
   */
  public static long get(ByteBuffer in) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.get();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new IllegalArgumentException("malformed varint: more than " + MAX_BYTES + " bytes");
  }
}
