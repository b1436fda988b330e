package dev.refinery.dedup;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A store with the values of the keys a processor read or wrote lately also in memory, so that a
 * key read again soon after (a dedup key answered a hold after it was taken, a document's gather
 * state at each of its answers) costs a hash lookup and not a RocksDB read: Streams' record cache
 * cost more than it saved here (a sorted map, an LRU list and a flush at every commit), while this
 * one writes through at once and evicts the oldest entries past a memory bound. What it holds is
 * what the store holds, which is why {@link #attach} empties it: a task revived after an aborted
 * transaction has its store restored to the last commit, not to what this map saw.
 */
final class RecentValues<K> {
  /** What an entry costs besides its key's characters and its value's bytes: objects, headers. */
  private static final int ENTRY_BYTES = 96;

  private final Map<K, byte[]> recent = new LinkedHashMap<>();
  private final long maxBytes;
  private final ToIntFunction<K> keyBytes;
  private KeyValueStore<K, byte[]> store;
  private long bytes;

  /**
   * @param maxBytes the most memory the values kept take; the oldest go first
   * @param keyBytes the memory a key takes, besides its object's header
   */
  RecentValues(long maxBytes, ToIntFunction<K> keyBytes) {
    this.maxBytes = maxBytes;
    this.keyBytes = keyBytes;
  }

  /** For string keys: two bytes a character. */
  static RecentValues<String> ofStrings(long maxBytes) {
    return new RecentValues<>(maxBytes, key -> 2 * key.length());
  }

  /** For byte keys ({@link Bytes}). */
  static RecentValues<Bytes> ofBytes(long maxBytes) {
    return new RecentValues<>(maxBytes, key -> key.get().length);
  }

  /** The store, from a processor's {@code init}; forgets every value held before. */
  void attach(KeyValueStore<K, byte[]> store) {
    this.store = store;
    recent.clear();
    bytes = 0;
  }

  /** The key's value, from memory where it is there; null if the store has none. */
  byte[] get(K key) {
    byte[] value = recent.get(key);
    if (value == null) {
      value = store.get(key);
      if (value != null) {
        remember(key, value);
      }
    }
    return value;
  }

  void put(K key, byte[] value) {
    store.put(key, value);
    remember(key, value);
  }

  /**
   * Deletes the key by writing null: the store's own {@code delete} reads the old value first, to
   * return it, and that read went to RocksDB for every key this map no longer held.
   */
  void delete(K key) {
    store.put(key, null);
    forget(key);
  }

  private void remember(K key, byte[] value) {
    forget(key);
    long size = cost(key, value);
    if (size > maxBytes / 16) {
      return; // a large value would push out many small ones
    }
    recent.put(key, value);
    bytes += size;
    for (Iterator<Map.Entry<K, byte[]>> it = recent.entrySet().iterator();
        bytes > maxBytes && it.hasNext(); ) {
      Map.Entry<K, byte[]> eldest = it.next();
      bytes -= cost(eldest.getKey(), eldest.getValue());
      it.remove();
    }
  }

  private void forget(K key) {
    byte[] old = recent.remove(key);
    if (old != null) {
      bytes -= cost(key, old);
    }
  }

  private long cost(K key, byte[] value) {
    return ENTRY_BYTES + (long) keyBytes.applyAsInt(key) + value.length;
  }

  /** How many keys are in memory. */
  int size() {
    return recent.size();
  }

  /** What the values in memory take, by {@link #ENTRY_BYTES} and their keys' and values' sizes. */
  long bytes() {
    return bytes;
  }
}
