package dev.refinery.dedup;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Function;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A store with the values of the keys a processor read or wrote lately also in memory, so that a
 * key read again soon after (a dedup key answered a hold after it was taken, a document's gather
 * state at each of its answers) costs a lookup in memory and not a RocksDB read: Streams' record
 * cache cost more than it saved here (a sorted map, an LRU list and a flush at every commit), while
 * this one writes through at once and forgets the oldest entries past a memory bound. What it holds
 * is what the store holds (but for the values {@link #hold} keeps in memory only), which is why
 * {@link #attach} empties it: a task revived after an aborted transaction has its store restored to
 * the last commit, not to what this cache saw.
 *
 * <p>The entries are packed, in the order written, into two buffers of bytes (each a key's length,
 * its value's length, the key and the value), found through an open-addressing table of their
 * positions. When the newer buffer is full, the older one's entries are forgotten and it takes the
 * next ones. A lookup reads one slot of the table and one entry, where a {@code LinkedHashMap} of
 * {@link Bytes} walked a slot, a node, a key object and its array, most of them cache misses under
 * 32 MB of keys (2 to 4 % of dedup-filter's stream thread in profiles of {@code bench/run dedup});
 * and the entries are two arrays for the collector, not four objects a key that lived for seconds
 * and were copied at each young collection: G1 took 0.01 to 0.02 of a core through {@code bench/run
 * dedup} instead of 0.12 to 0.13 (three runs each, in turns). An entry takes its key and value and
 * 6 bytes, and a slot of the table 8: a dedup key and its holder about 60 bytes with their share of
 * the table, where the map's entry took about 140.
 */
final class RecentValues<K> {
  /** Before each entry: its key's length (int16) and its value's length (int32). */
  private static final int HEADER = 6;

  /** The first size of a buffer; it doubles, up to its share of the bound, as entries come. */
  private static final int FIRST_BUFFER = 1 << 12;

  /** The first size of the table; it doubles while the bound allows. */
  private static final int FIRST_SLOTS = 1 << 8;

  private final Function<K, byte[]> keyBytes;

  /** The most bytes a buffer takes: three eighths of the bound each, the table the last quarter. */
  private final int maxBuffer;

  /** The most slots the table has (a power of two, 8 bytes each). */
  private final int maxSlots;

  private KeyValueStore<K, byte[]> store;

  /** The two buffers; {@code buffers[current]} takes the next entry at {@link #end}. */
  private final byte[][] buffers = new byte[2][];

  private int current;
  private int end;

  /**
   * The table: each used slot holds the hash of an entry's key and its reference, the buffer (bit
   * 30) and the entry's position in it, plus one; an empty slot, 0 in both.
   */
  private int[] hashes;

  private int[] refs;
  private int live;

  /**
   * @param maxBytes the most memory the entries and their table take; 0 keeps nothing in memory
   * @param keyBytes a key's bytes, which tell keys apart here as the store tells them apart
   */
  RecentValues(long maxBytes, Function<K, byte[]> keyBytes) {
    this.keyBytes = keyBytes;
    this.maxBuffer = (int) Math.min(1 << 30, maxBytes * 3 / 8);
    this.maxSlots =
        maxBytes < 64 ? 0 : Integer.highestOneBit((int) Math.min(1 << 28, maxBytes / 32));
    clear();
  }

  /** For string keys, told apart by their UTF-8 as the store's serde writes them. */
  static RecentValues<String> ofStrings(long maxBytes) {
    return new RecentValues<>(maxBytes, key -> key.getBytes(StandardCharsets.UTF_8));
  }

  /** For byte keys ({@link Bytes}). */
  static RecentValues<Bytes> ofBytes(long maxBytes) {
    return new RecentValues<>(maxBytes, Bytes::get);
  }

  /** The store, from a processor's {@code init}; forgets every value held before. */
  void attach(KeyValueStore<K, byte[]> store) {
    this.store = store;
    clear();
  }

  private void clear() {
    buffers[0] = null;
    buffers[1] = null;
    current = 0;
    end = 0;
    hashes = null;
    refs = null;
    live = 0;
  }

  /** The key's value, from memory where it is there; null if the store has none. */
  byte[] get(K key) {
    byte[] k = keyBytes.apply(key);
    int slot = find(k, hash(k));
    if (slot >= 0) {
      byte[] buffer = buffers[bufferOf(refs[slot])];
      int at = position(refs[slot]);
      int keyLength = keyLength(buffer, at);
      int start = at + HEADER + keyLength;
      return Arrays.copyOfRange(buffer, start, start + valueLength(buffer, at));
    }
    byte[] value = store.get(key);
    if (value != null) {
      remember(k, value);
    }
    return value;
  }

  void put(K key, byte[] value) {
    store.put(key, value);
    byte[] k = keyBytes.apply(key);
    forget(k);
    remember(k, value);
  }

  /**
   * Keeps a value in memory only, for a key the store has no value of: until it is written, the
   * caller must do without it once it is gone (after {@link #attach}, or past the bound), as it
   * would without the store's.
   */
  void hold(K key, byte[] value) {
    byte[] k = keyBytes.apply(key);
    forget(k);
    remember(k, value);
  }

  /** Forgets a value {@link #hold} kept: the store has none to delete. */
  void drop(K key) {
    forget(keyBytes.apply(key));
  }

  /**
   * Deletes the key by writing null: the store's own {@code delete} reads the old value first, to
   * return it, and that read went to RocksDB for every key this cache no longer held.
   */
  void delete(K key) {
    store.put(key, null);
    forget(keyBytes.apply(key));
  }

  /** Adds the entry of a key this cache does not hold, unless it would not fit. */
  private void remember(byte[] key, byte[] value) {
    int size = HEADER + key.length + value.length;
    // a large value would push out many small ones
    if (maxSlots == 0 || key.length > 0xFFFF || size > maxBuffer / 8) {
      return;
    }
    if (refs == null) {
      hashes = new int[Math.min(FIRST_SLOTS, maxSlots)];
      refs = new int[hashes.length];
      buffers[current] = new byte[Math.min(FIRST_BUFFER, maxBuffer)];
    }
    // at most three quarters of the slots taken; twice forgetting the older buffer empties it all
    while ((live + 1) * 4L > refs.length * 3L) {
      if (refs.length < maxSlots) {
        rehash(refs.length * 2, -1);
      } else {
        forgetOlder();
      }
    }
    byte[] buffer = buffers[current];
    if (end + size > buffer.length) {
      if (buffer.length < maxBuffer) {
        int length = buffer.length;
        while (length < end + size) {
          length = (int) Math.min(maxBuffer, 2L * length);
        }
        buffer = buffers[current] = Arrays.copyOf(buffer, length);
      }
      if (end + size > buffer.length) {
        forgetOlder();
        buffer = buffers[current];
      }
    }
    int at = end;
    buffer[at] = (byte) (key.length >>> 8);
    buffer[at + 1] = (byte) key.length;
    buffer[at + 2] = (byte) (value.length >>> 24);
    buffer[at + 3] = (byte) (value.length >>> 16);
    buffer[at + 4] = (byte) (value.length >>> 8);
    buffer[at + 5] = (byte) value.length;
    System.arraycopy(key, 0, buffer, at + HEADER, key.length);
    System.arraycopy(value, 0, buffer, at + HEADER + key.length, value.length);
    end = at + size;
    insert(hash(key), (current << 30) | at);
    live++;
  }

  /**
   * Forgets the entries of the older buffer (the table keeps only the newer one's), which then
   * takes the next entries, as large as the newer one.
   */
  private void forgetOlder() {
    int older = current ^ 1;
    rehash(refs.length, older);
    int length = buffers[current].length;
    byte[] buffer = buffers[older];
    buffers[older] = buffer != null && buffer.length == length ? buffer : new byte[length];
    current = older;
    end = 0;
  }

  private void forget(byte[] key) {
    if (refs == null) {
      return;
    }
    int slot = find(key, hash(key));
    if (slot >= 0) {
      remove(slot);
      live--;
    }
  }

  /** The slot of the key's entry, or -1. */
  private int find(byte[] key, int hash) {
    if (refs == null) {
      return -1;
    }
    int mask = refs.length - 1;
    for (int slot = hash & mask; refs[slot] != 0; slot = (slot + 1) & mask) {
      if (hashes[slot] == hash) {
        byte[] buffer = buffers[bufferOf(refs[slot])];
        int at = position(refs[slot]);
        if (keyLength(buffer, at) == key.length
            && Arrays.equals(buffer, at + HEADER, at + HEADER + key.length, key, 0, key.length)) {
          return slot;
        }
      }
    }
    return -1;
  }

  private void insert(int hash, int ref) {
    int mask = refs.length - 1;
    int slot = hash & mask;
    while (refs[slot] != 0) {
      slot = (slot + 1) & mask;
    }
    hashes[slot] = hash;
    refs[slot] = ref + 1;
  }

  /** Empties a slot, moving back the entries after it that would not be found past the gap. */
  private void remove(int slot) {
    int mask = refs.length - 1;
    int gap = slot;
    for (int next = (gap + 1) & mask; refs[next] != 0; next = (next + 1) & mask) {
      int home = hashes[next] & mask;
      // the entry at next may fill the gap if its home is not cyclically in (gap, next]
      boolean between = gap <= next ? gap < home && home <= next : gap < home || home <= next;
      if (!between) {
        hashes[gap] = hashes[next];
        refs[gap] = refs[next];
        gap = next;
      }
    }
    hashes[gap] = 0;
    refs[gap] = 0;
  }

  /**
   * Builds the table again with {@code slots} slots, leaving out the entries of buffer {@code drop}
   * (-1: none).
   */
  private void rehash(int slots, int drop) {
    int[] oldHashes = hashes;
    int[] oldRefs = refs;
    hashes = new int[slots];
    refs = new int[slots];
    live = 0;
    for (int i = 0; i < oldRefs.length; i++) {
      if (oldRefs[i] != 0 && bufferOf(oldRefs[i]) != drop) {
        insert(oldHashes[i], oldRefs[i] - 1);
        live++;
      }
    }
  }

  /** Which buffer the entry of a slot's reference is in. */
  private static int bufferOf(int ref) {
    return (ref - 1) >>> 30;
  }

  /** Where the entry of a slot's reference begins in its buffer. */
  private static int position(int ref) {
    return (ref - 1) & ((1 << 30) - 1);
  }

  private static int keyLength(byte[] buffer, int at) {
    return (buffer[at] & 0xFF) << 8 | (buffer[at + 1] & 0xFF);
  }

  private static int valueLength(byte[] buffer, int at) {
    return (buffer[at + 2] & 0xFF) << 24
        | (buffer[at + 3] & 0xFF) << 16
        | (buffer[at + 4] & 0xFF) << 8
        | (buffer[at + 5] & 0xFF);
  }

  /** The key's hash, mixed so that the table's low bits depend on all of its bytes. */
  private static int hash(byte[] key) {
    int h = Arrays.hashCode(key);
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    return h ^ (h >>> 16);
  }

  /** How many keys are in memory. */
  int size() {
    return live;
  }

  /** The memory the buffers and the table take now. */
  long bytes() {
    long buffersBytes =
        (buffers[0] == null ? 0 : buffers[0].length) + (buffers[1] == null ? 0 : buffers[1].length);
    return buffersBytes + (refs == null ? 0 : 8L * refs.length);
  }
}
