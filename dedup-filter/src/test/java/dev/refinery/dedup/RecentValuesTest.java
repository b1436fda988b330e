package dev.refinery.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Serdes;
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
    long max = 100 * (96 + 2 * 4 + 10);
    RecentValues<String> recent = RecentValues.ofStrings(max);
    recent.attach(store);
    for (int i = 0; i < 1000; i++) {
      recent.put(String.format("k%03d", i), v(String.format("value%05d", i)));
      assertTrue(recent.bytes() <= max, "within its bound after " + i);
    }
    assertEquals(100, recent.size());
    store.put("k000", v("changed"));
    store.put("k999", v("changed"));
    assertArrayEquals(v("changed"), recent.get("k000"), "the oldest left memory");
    assertArrayEquals(v("value00999"), recent.get("k999"), "the newest stayed");

    byte[] large = new byte[(int) max];
    recent.put("large", large);
    assertArrayEquals(large, store.get("large"));
    store.put("large", v("changed"));
    assertArrayEquals(v("changed"), recent.get("large"), "a large value is not kept");
    assertEquals(100, recent.size(), "nor did it push out the small ones");
  }
}
