package dev.refinery.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store behind {@link RecentValues} is changed behind its back here, which a processor never
 * does, to see which reads came from memory and which from the store.
 */
class RecentValuesTest {
  KeyValueStore<String, byte[]> store;

  @BeforeEach
  void store() {
    store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("recent-test"), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled()
            .withCachingDisabled()
            .build();
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    store.init(context.getStateStoreContext(), store);
  }

  static byte[] v(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void writesThroughAndReadsAgainFromMemory() {
    RecentValues<String> recent = RecentValues.ofStrings(1 << 20);
    recent.attach(store);
    recent.put("a", v("1"));
    assertArrayEquals(v("1"), store.get("a"));
    store.put("a", v("changed behind its back"));
    assertArrayEquals(v("1"), recent.get("a"));

    store.put("b", v("2"));
    assertArrayEquals(v("2"), recent.get("b"));
    store.put("b", v("changed behind its back"));
    assertArrayEquals(v("2"), recent.get("b"), "a value read is kept too");

    assertNull(recent.get("none"));
    store.put("none", v("3"));
    assertArrayEquals(v("3"), recent.get("none"), "an absent key is not remembered as absent");

    recent.delete("a");
    assertNull(store.get("a"));
    assertNull(recent.get("a"));
  }

  @Test
  void attachingForgetsWhatWasInMemory() {
    RecentValues<String> recent = RecentValues.ofStrings(1 << 20);
    recent.attach(store);
    recent.put("a", v("uncommitted"));
    // what a task revived after an aborted transaction finds: its store restored to the commit
    store.put("a", v("committed"));
    recent.attach(store);
    assertEquals(0, recent.size());
    assertArrayEquals(v("committed"), recent.get("a"));
  }

  @Test
  void keepsTheNewestWithinItsBoundAndNoLargeValue() {
    long max = 16 * 1024;
    RecentValues<String> recent = RecentValues.ofStrings(max);
    recent.attach(store);
    for (int i = 0; i < 1000; i++) {
      recent.put(String.format("k%03d", i), v(String.format("value%05d", i)));
      assertTrue(recent.bytes() <= max, "within its bound after " + i);
    }
    // an entry takes 6 + 4 + 10 bytes; the newer of the two buffers (3/8 of the bound) is full of
    // them before the older is forgotten, so at least as many as fit in one are in memory
    int kept = (int) (max * 3 / 8) / 20;
    assertTrue(recent.size() >= kept && recent.size() < 1000, "kept " + recent.size());
    for (int i = 1000 - kept; i < 1000; i++) {
      store.put(String.format("k%03d", i), v("changed"));
    }
    store.put("k000", v("changed"));
    assertArrayEquals(v("changed"), recent.get("k000"), "the oldest left memory");
    for (int i = 1000 - kept; i < 1000; i++) {
      assertArrayEquals(
          v(String.format("value%05d", i)), recent.get(String.format("k%03d", i)), "kept " + i);
    }

    int size = recent.size();
    byte[] large = new byte[(int) max];
    recent.put("large", large);
    assertArrayEquals(large, store.get("large"));
    store.put("large", v("changed"));
    assertArrayEquals(v("changed"), recent.get("large"), "a large value is not kept");
    assertEquals(size + 1, recent.size(), "nor did it push out the small ones");
  }

  @Test
  void aBoundOfNothingKeepsNothing() {
    RecentValues<String> recent = RecentValues.ofStrings(0);
    recent.attach(store);
    recent.put("a", v("1"));
    assertArrayEquals(v("1"), recent.get("a"));
    assertEquals(0, recent.size());
    assertEquals(0, recent.bytes());
  }

  /**
   * What a processor reads is what the store holds, whatever came before: random writes, deletes
   * and reads of a few hundred keys of all lengths (the empty key too) through a bound small enough
   * that the table grows, entries move back over removed ones, and the buffers are forgotten in
   * turn many times; and a key just written is read from memory.
   */
  @Test
  void readsWhatTheStoreHoldsThroughEveryTurnOfItsMemory() {
    KeyValueStore<Bytes, byte[]> bytesStore =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("recent-bytes"), Serdes.Bytes(), Serdes.ByteArray())
            .withLoggingDisabled()
            .withCachingDisabled()
            .build();
    bytesStore.init(new MockProcessorContext<>().getStateStoreContext(), bytesStore);
    SplittableRandom random = new SplittableRandom(16);
    for (long max : new long[] {64, 512, 4096, 64 * 1024}) {
      RecentValues<Bytes> recent = RecentValues.ofBytes(max);
      recent.attach(bytesStore);
      Bytes[] keys = new Bytes[300];
      for (int i = 0; i < keys.length; i++) {
        byte[] k = new byte[random.nextInt(0, 24)];
        random.nextBytes(k);
        // a few keys the same but for their length, or the last byte
        keys[i] = Bytes.wrap(i > 0 && i % 10 == 0 ? Arrays.copyOf(keys[i - 1].get(), k.length) : k);
      }
      for (int step = 0; step < 50_000; step++) {
        Bytes key = keys[random.nextInt(keys.length)];
        int op = random.nextInt(10);
        if (op < 4) {
          byte[] value = new byte[random.nextInt(0, 40)];
          random.nextBytes(value);
          recent.put(key, value);
          if (max >= 4096) {
            // where every value fits: changed behind its back, the store does not answer
            bytesStore.put(key, new byte[] {1, 2, 3});
            assertArrayEquals(value, recent.get(key), "a key just written is read from memory");
            bytesStore.put(key, value);
          }
        } else if (op < 5) {
          recent.delete(key);
          assertNull(bytesStore.get(key));
        } else if (op < 6 && step % 1000 == 0) {
          recent.attach(bytesStore);
        } else {
          assertArrayEquals(bytesStore.get(key), recent.get(key), "step " + step + " at " + max);
        }
        assertTrue(recent.bytes() <= max, "within " + max + " at step " + step);
      }
      for (Bytes key : keys) {
        assertArrayEquals(bytesStore.get(key), recent.get(key), "at the end, at " + max);
      }
    }
  }
}
