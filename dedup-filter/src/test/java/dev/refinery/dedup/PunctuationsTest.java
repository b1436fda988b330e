package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.dedup.rules.RuleSet;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The stage's wall-clock punctuations. A punctuation every millisecond, run or not, makes Kafka
 * Streams halve the records it processes between its checks of the loop at nearly every turn, so
 * the bucket step schedules one only while a pass of held answers has more to give. And Kafka
 * Streams keeps a task's punctuations when it revives the task (processors closed, then initialised
 * again): each processor cancels its own when it closes.
 */
class PunctuationsTest {
  private static final long HOLD_MS = 1_000;
  private static final int PER_PASS = 2;
  private static final long START = 100_123;

  private final DedupFilterConfig config = new DedupFilterConfig(Map.of());

  @Test
  void theBucketStepPunctuatesEveryMillisecondOnlyWhileAPassHasMoreToAnswer() {
    MockProcessorContext<String, byte[]> context = context();
    BucketProcessor bucket = bucket(context);
    assertThat(live(context, Duration.ofMillis(1))).as("nothing held").isEmpty();
    CapturedPunctuator pass = only(live(context, Duration.ofMillis(250)));
    int documents = 2 * PER_PASS + 1;
    for (int i = 0; i < documents; i++) {
      hold(bucket, i);
    }
    context.setCurrentSystemTimeMs(START + HOLD_MS + 1);
    pass.getPunctuator().punctuate(START + HOLD_MS + 1);
    assertThat(context.forwarded()).hasSize(PER_PASS);
    CapturedPunctuator goingOn = only(live(context, Duration.ofMillis(1)));

    goingOn.getPunctuator().punctuate(START + HOLD_MS + 2);
    assertThat(context.forwarded()).hasSize(2 * PER_PASS);
    assertThat(live(context, Duration.ofMillis(1))).as("one, while more is due").hasSize(1);
    goingOn.getPunctuator().punctuate(START + HOLD_MS + 3);
    assertThat(context.forwarded()).hasSize(documents);
    assertThat(goingOn.cancelled()).as("the last pass answered all that was due").isTrue();
    assertThat(live(context, Duration.ofMillis(1))).isEmpty();

    // held again, more than a pass: it is scheduled again
    for (int i = 0; i < documents; i++) {
      hold(bucket, documents + i);
    }
    context.setCurrentSystemTimeMs(START + 3 * HOLD_MS);
    pass.getPunctuator().punctuate(START + 3 * HOLD_MS);
    assertThat(live(context, Duration.ofMillis(1))).hasSize(1);
  }

  @Test
  void aProcessorClosedAndInitialisedAgainAsARevivedTaskKeepsOneOfEachPunctuation() {
    MockProcessorContext<String, byte[]> context = context();
    BucketProcessor bucket = bucket(context);
    for (int i = 0; i < 2 * PER_PASS; i++) {
      hold(bucket, i);
    }
    context.setCurrentSystemTimeMs(START + HOLD_MS + 1);
    only(live(context, Duration.ofMillis(250))).getPunctuator().punctuate(START + HOLD_MS + 1);
    assertThat(live(context, Duration.ofMillis(1))).hasSize(1);
    reviveAndCheck(bucket, context, 1);
    assertThat(live(context, Duration.ofMillis(1)))
        .as("a revived task answers its held answers at its next pass")
        .isEmpty();

    MockProcessorContext<String, Verdict> gatherContext = new MockProcessorContext<>();
    gatherContext.setCurrentSystemTimeMs(START);
    store(gatherContext, DedupFilterTopology.GATHER_STORE, Serdes.String());
    store(gatherContext, DedupFilterTopology.DOCUMENT_STORE, Serdes.String());
    reviveAndCheck(new GatherProcessor(config, DedupMetrics.inMemory(), 1), gatherContext, 1);

    MockProcessorContext<String, Routed> screenContext = new MockProcessorContext<>();
    screenContext.setCurrentSystemTimeMs(START);
    reviveAndCheck(
        new ScreenProcessor(
            config,
            RuleSet.from(config),
            DedupMetrics.inMemory(),
            1,
            (partition, next, now) -> Long.MIN_VALUE),
        screenContext,
        1);
  }

  /**
   * Closes the processor and initialises it again, as Kafka Streams does with a revived task's, and
   * checks that it then has the punctuations of one init, {@code scheduled}, and none of before.
   */
  private static <K, V> void reviveAndCheck(
      Processor<?, ?, K, V> processor, MockProcessorContext<K, V> context, int scheduled) {
    if (context.scheduledPunctuators().isEmpty()) {
      processor.init(context);
    }
    String name = processor.getClass().getSimpleName();
    assertThat(live(context).size()).as(name).isGreaterThanOrEqualTo(scheduled);
    processor.close();
    assertThat(live(context)).as("%s closed: every punctuation cancelled", name).isEmpty();
    processor.init(context);
    assertThat(live(context)).as("%s initialised again", name).hasSize(scheduled);
  }

  private MockProcessorContext<String, byte[]> context() {
    MockProcessorContext<String, byte[]> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(START);
    store(context, DedupFilterTopology.SMALLEST_STORE, Serdes.Bytes());
    store(context, DedupFilterTopology.PENDING_STORE, Serdes.Bytes());
    return context;
  }

  private BucketProcessor bucket(MockProcessorContext<String, byte[]> context) {
    // the clock alone decides (no longest hold past it), one raw partition
    BucketProcessor bucket = new BucketProcessor(HOLD_MS, 0, PER_PASS, 0, 10, 4, 1, 1 << 20);
    bucket.init(context);
    return bucket;
  }

  /** A document's exact key, as a record of one key, held for its answer. */
  private static void hold(BucketProcessor bucket, int i) {
    String id = HexFormat.of().toHexDigits(i) + "0123456789abcdef0123456789ab".substring(0, 24);
    Member member = new Member(START - 10 + i, id, "0:" + i, i);
    String key = new DedupKey(DedupKey.Kind.EXACT, 0, "%032x".formatted(i)).encode();
    bucket.process(new Record<>(key, member.toBytes(), START - 10));
  }

  private static <K> void store(MockProcessorContext<?, ?> context, String name, Serde<K> keys) {
    KeyValueStore<K, byte[]> store =
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), keys, Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
  }

  private static List<CapturedPunctuator> live(MockProcessorContext<?, ?> context) {
    return context.scheduledPunctuators().stream().filter(p -> !p.cancelled()).toList();
  }

  private static List<CapturedPunctuator> live(
      MockProcessorContext<?, ?> context, Duration interval) {
    return live(context).stream().filter(p -> p.getInterval().equals(interval)).toList();
  }

  private static CapturedPunctuator only(List<CapturedPunctuator> punctuators) {
    assertThat(punctuators).hasSize(1);
    return punctuators.get(0);
  }
}
