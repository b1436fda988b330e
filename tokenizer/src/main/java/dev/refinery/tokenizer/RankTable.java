package dev.refinery.tokenizer;

import java.util.Map;

/**
 * The ranks of a byte-pair encoding in flat arrays, looked up by a range of a byte array without
 * copying it. jtokkit keeps them in a {@code HashMap<ByteArrayWrapper, Integer>} a token length,
 * which makes every lookup follow four pointers (bucket, node, key, bytes) and box its result; in
 * the tokenizer stage, those lookups took more than half of the tokenizing threads' time.
 *
 * <p>Open addressing with linear probing at a load of at most 0.4. A slot is two adjacent longs, in
 * one cache line: a token's first eight bytes packed little-endian (zero-padded), and {@code length
 * << 24 | rank}. A token of eight bytes or fewer is found without touching any other memory; a
 * longer one compares its remaining bytes with the token's bytes in one shared array.
 */
final class RankTable {
  static final int NONE = -1;
  private static final long MIX = 0x9E3779B97F4A7C15L;

  private final long[] slots; // slot i: [2i] the head, [2i + 1] length << 24 | rank; 0: empty
  private final int shift;
  private final int[] byteRanks = new int[256];
  private final byte[] bytes; // every token's bytes, by rank
  private final int[] offsets; // where a rank's bytes start in bytes; offsets[rank + 1] ends them

  /**
   * @throws IllegalArgumentException for an empty token, one of 256 bytes or more, a rank that is
   *     negative or of 2^24 or more, or two tokens with the same rank
   */
  RankTable(Map<byte[], Integer> ranks) {
    int maxRank = -1;
    long total = 0;
    for (Map.Entry<byte[], Integer> e : ranks.entrySet()) {
      int rank = e.getValue();
      int length = e.getKey().length;
      if (rank < 0 || rank >= 1 << 24 || length == 0 || length > 255) {
        throw new IllegalArgumentException(
            "a rank table holds ranks 0 to 2^24 - 1 of 1 to 255 bytes, not rank "
                + rank
                + " of "
                + length
                + " bytes");
      }
      maxRank = Math.max(maxRank, rank);
      total += length;
    }
    int[] lengths = new int[maxRank + 1];
    for (Map.Entry<byte[], Integer> e : ranks.entrySet()) {
      if (lengths[e.getValue()] != 0) {
        throw new IllegalArgumentException("two tokens have rank " + e.getValue());
      }
      lengths[e.getValue()] = e.getKey().length;
    }
    offsets = new int[maxRank + 2];
    for (int r = 0; r <= maxRank; r++) {
      offsets[r + 1] = offsets[r] + lengths[r];
    }
    bytes = new byte[(int) total];
    int capacity = Integer.highestOneBit(Math.max(16, (int) (ranks.size() / 0.4))) << 1;
    shift = 64 - Integer.numberOfTrailingZeros(capacity);
    slots = new long[2 * capacity];
    for (Map.Entry<byte[], Integer> e : ranks.entrySet()) {
      byte[] token = e.getKey();
      int rank = e.getValue();
      System.arraycopy(token, 0, bytes, offsets[rank], token.length);
      long head = head(token, 0, token.length);
      int slot = slot(head, token, 0, token.length);
      while (slots[2 * slot + 1] != 0) {
        slot = (slot + 1) & (capacity - 1);
      }
      slots[2 * slot] = head;
      slots[2 * slot + 1] = token.length << 24 | rank;
    }
    for (int b = 0; b < 256; b++) {
      byteRanks[b] = rank(new byte[] {(byte) b}, 0, 1);
    }
  }

  /** The rank of {@code b[from, from + length)}, or {@link #NONE} where that is not a token. */
  int rank(byte[] b, int from, int length) {
    long head = head(b, from, length);
    int mask = slots.length / 2 - 1;
    for (int slot = slot(head, b, from, length); ; slot = (slot + 1) & mask) {
      int entry = (int) slots[2 * slot + 1];
      if (entry == 0) {
        return NONE;
      }
      if (slots[2 * slot] == head && entry >>> 24 == length) {
        int rank = entry & 0xFFFFFF;
        if (length <= 8 || tailEquals(rank, b, from, length)) {
          return rank;
        }
      }
    }
  }

  /** The rank of a single byte, or {@link #NONE}. */
  int rank(byte b) {
    return byteRanks[b & 0xFF];
  }

  /** The bytes of a token. */
  byte[] bytes(int rank) {
    return java.util.Arrays.copyOfRange(bytes, offsets[rank], offsets[rank + 1]);
  }

  private boolean tailEquals(int rank, byte[] b, int from, int length) {
    int at = offsets[rank];
    for (int i = 8; i < length; i++) {
      if (bytes[at + i] != b[from + i]) {
        return false;
      }
    }
    return true;
  }

  /** The first eight bytes (fewer: zero-padded) of a range, little-endian. */
  private static long head(byte[] b, int from, int length) {
    long head = 0;
    for (int i = Math.min(length, 8) - 1; i >= 0; i--) {
      head = head << 8 | (b[from + i] & 0xFF);
    }
    return head;
  }

  private int slot(long head, byte[] b, int from, int length) {
    long h = (head + length) * MIX;
    for (int i = 8; i < length; i++) {
      h = (h ^ (b[from + i] & 0xFF)) * MIX;
    }
    return (int) ((h ^ (h >>> 29)) * MIX >>> shift);
  }
}
