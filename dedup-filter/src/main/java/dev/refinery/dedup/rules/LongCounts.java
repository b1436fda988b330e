package dev.refinery.dedup.rules;

/**
 * Counts of 64-bit keys in open addressing (the key 0, which marks an empty slot, apart): the
 * n-grams of a document ({@link GopherRepetition}), the trigrams of the language models ({@link
 * LanguageIdentifier#load}).
 */
final class LongCounts {
  private long[] keys;
  private int[] counts;
  private int zeroCount;
  private int size;

  /**
   * The slots taken, in the order they were: {@link #clear} empties those, not the whole table. The
   * table is at most a quarter full, and {@link GopherRepetition} clears it up to ten times a
   * document: filling all of it each time wrote 160 KB a 2 KB document.
   */
  private int[] taken;

  LongCounts(int expected) {
    int capacity = capacityFor(expected);
    keys = new long[capacity];
    counts = new int[capacity];
    taken = new int[capacity / 4 + 1];
  }

  /**
   * The slots a table made for {@code expected} keys has: at most a quarter full, few collisions.
   */
  static int capacityFor(int expected) {
    return Integer.highestOneBit(Math.max(16, expected * 4)) << 1;
  }

  /** The slots the table has: how much memory it holds. */
  int capacity() {
    return keys.length;
  }

  void clear() {
    if (size > 0) {
      if (size * 8 < keys.length) {
        for (int i = 0; i < size; i++) {
          keys[taken[i]] = 0;
        }
      } else {
        java.util.Arrays.fill(keys, 0L);
      }
      size = 0;
    }
    zeroCount = 0;
  }

  /** Adds one to the key's count and returns the new count. */
  int increment(long key) {
    if (key == 0) {
      return ++zeroCount;
    }
    int mask = keys.length - 1;
    int h = (int) ((key * 0x9E3779B97F4A7C15L) >>> 35) & mask;
    while (keys[h] != 0) {
      if (keys[h] == key) {
        return ++counts[h];
      }
      h = (h + 1) & mask;
    }
    keys[h] = key;
    counts[h] = 1;
    taken[size] = h;
    if (++size * 4 > keys.length) {
      grow();
    }
    return 1;
  }

  /** The key's count (0 where it was never counted). */
  int count(long key) {
    if (key == 0) {
      return zeroCount;
    }
    int mask = keys.length - 1;
    int h = (int) ((key * 0x9E3779B97F4A7C15L) >>> 35) & mask;
    while (keys[h] != 0) {
      if (keys[h] == key) {
        return counts[h];
      }
      h = (h + 1) & mask;
    }
    return 0;
  }

  /** How many distinct keys other than 0 have been counted. */
  int size() {
    return size;
  }

  /** A key and its count. */
  interface Visitor {
    void accept(long key, int count);
  }

  /** Each key other than 0 with its count, in the table's order. */
  void forEach(Visitor visitor) {
    for (int j = 0; j < keys.length; j++) {
      if (keys[j] != 0) {
        visitor.accept(keys[j], counts[j]);
      }
    }
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldCounts = counts;
    keys = new long[oldKeys.length * 2];
    counts = new int[oldKeys.length * 2];
    taken = new int[keys.length / 4 + 1];
    int mask = keys.length - 1;
    int moved = 0;
    for (int j = 0; j < oldKeys.length; j++) {
      if (oldKeys[j] != 0) {
        int h = (int) ((oldKeys[j] * 0x9E3779B97F4A7C15L) >>> 35) & mask;
        while (keys[h] != 0) {
          h = (h + 1) & mask;
        }
        keys[h] = oldKeys[j];
        counts[h] = oldCounts[j];
        taken[moved++] = h;
      }
    }
  }
}
