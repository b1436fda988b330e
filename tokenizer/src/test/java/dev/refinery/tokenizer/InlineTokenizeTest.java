package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Tokenizing on the slot's task thread ({@link InlineTokenize}), and handing documents to a pool in
 * runs ({@link TokenizeFunction.Runs}).
 */
class InlineTokenizeTest {
  static final TypeSerializer<RawRecord> RECORDS =
      TypeInformation.of(RawRecord.class).createSerializer(new SerializerConfigImpl());

  static TokenizeFunction function(int threads) {
    return new TokenizeFunction(
        new TokenizerConfig(Map.of()).tokenizerSpec(),
        null,
        null,
        64,
        List.of("web"),
        100,
        threads);
  }

  static OneInputStreamOperatorTestHarness<RawRecord, TokenizedDocument> inline() throws Exception {
    return new OneInputStreamOperatorTestHarness<>(new InlineTokenize(function(1)), RECORDS);
  }

  static RawRecord record(String id, String text, long offset) {
    Document doc = TokenizerJobIT.doc(id, "web", text);
    return new RawRecord(
        doc.getId(), Topics.CORPUS_CLEAN.serialize(doc), Topics.CORPUS_CLEAN.name(), 0, offset);
  }

  @Test
  void eachRecordIsTokenizedInTheCallThatReadsItAndGarbageIsRejectedWithItsReason()
      throws Exception {
    Tokenizer tokenizer = Tokenizer.forName("cl100k_base");
    try (var h = inline()) {
      h.open();
      h.processElement(new StreamRecord<>(record("a", "Hello, world.", 0), 7));
      assertThat(h.extractOutputValues())
          .singleElement()
          .satisfies(d -> assertThat(d.tokens).isEqualTo(tokenizer.encode("Hello, world.")));
      assertThat(h.extractOutputStreamRecords().get(0).getTimestamp()).isEqualTo(7);

      byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);
      h.processElement(
          new StreamRecord<>(new RawRecord("k", garbage, Topics.CORPUS_CLEAN.name(), 0, 1)));
      TokenizedDocument rejected = h.extractOutputValues().get(1);
      assertThat(rejected.tokens).isNull();
      RejectedDocument why = Topics.CORPUS_REJECTED.deserialize(rejected.rejection);
      assertThat(why.getReason()).isEqualTo(RejectReason.UNDECODABLE.name());
    }
  }

  /** An async function that never answers: what it was given stays in flight. */
  static final class NeverAnswers implements AsyncFunction<RawRecord, TokenizedDocument> {
    @Override
    public void asyncInvoke(RawRecord input, ResultFuture<TokenizedDocument> resultFuture) {}
  }

  @Test
  void startsWithTheDocumentsThatTheAsyncOperatorHadInFlightInItsCheckpoint() throws Exception {
    OperatorSubtaskState checkpoint;
    try (var async =
        new OneInputStreamOperatorTestHarness<>(
            new AsyncWaitOperatorFactory<>(
                new NeverAnswers(), 60_000, 8, AsyncDataStream.OutputMode.ORDERED),
            RECORDS)) {
      async.open();
      for (int i = 0; i < 3; i++) {
        async.processElement(new StreamRecord<>(record("d" + i, "document " + i, i)));
      }
      assertThat(async.extractOutputValues()).isEmpty();
      checkpoint = async.snapshot(1, 1);
    }

    OperatorSubtaskState next;
    try (var h = inline()) {
      h.initializeState(checkpoint);
      h.open();
      assertThat(h.extractOutputValues())
          .as("the three in flight, in the order they came")
          .extracting(d -> d.docId)
          .containsExactly(
              record("d0", "x", 0).key, record("d1", "x", 1).key, record("d2", "x", 2).key);
      next = h.snapshot(2, 2);
    }
    try (var h = inline()) {
      h.initializeState(next);
      h.open();
      assertThat(h.extractOutputValues()).as("not a second time").isEmpty();
    }
  }

  @Test
  void runsStartAThreadForWorkThatFindsOneIdleAndTakeWhatWaitsSixteenAtATime() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<List<Integer>> seen = java.util.Collections.synchronizedList(new ArrayList<>());
      AtomicInteger busy = new AtomicInteger();
      AtomicInteger mostBusy = new AtomicInteger();
      CountDownLatch bothGoing = new CountDownLatch(2);
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(1000);
      TokenizeFunction.Runs runs =
          new TokenizeFunction.Runs(
              2,
              pool,
              run -> {
                mostBusy.accumulateAndGet(busy.incrementAndGet(), Math::max);
                List<Integer> ids = new ArrayList<>();
                for (TokenizeFunction.Waiting w : run) {
                  ids.add((int) w.record().offset);
                }
                if (ids.contains(0) || ids.contains(1)) {
                  bothGoing.countDown(); // each thread held until all the work waits
                  await(release);
                }
                seen.add(ids);
                busy.decrementAndGet();
                ids.forEach(i -> done.countDown());
              });
      runs.add(waiting(0));
      runs.add(waiting(1));
      assertThat(bothGoing.await(10, TimeUnit.SECONDS))
          .as("work that finds a thread idle starts a run at once")
          .isTrue();
      for (int i = 2; i < 1000; i++) {
        runs.add(waiting(i));
      }
      assertThat(runs.going()).isEqualTo(2);
      release.countDown();
      assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();

      List<Integer> all = new ArrayList<>();
      for (List<Integer> run : seen) {
        assertThat(run).as("a run holds at most %d", TokenizeFunction.RUN).hasSizeBetween(1, 16);
        assertThat(run).as("a run is in the order added").isSorted();
        all.addAll(run);
      }
      all.sort(null);
      assertThat(all)
          .as("each once")
          .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 1000).boxed().toList());
      assertThat(mostBusy.get()).as("never more runs than threads").isLessThanOrEqualTo(2);
      // 998 waited while both threads were busy: they went in runs of 16 (the last 6), not one a
      // handoff
      assertThat(seen.stream().map(List::size).sorted().toList())
          .containsExactlyElementsOf(
              java.util.stream.Stream.concat(
                      java.util.stream.Stream.of(1, 1, 6),
                      java.util.stream.Stream.generate(() -> 16).limit(62))
                  .toList());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (runs.going() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(runs.going()).as("no run left going once nothing waits").isZero();
    } finally {
      pool.shutdownNow();
    }
  }

  private static TokenizeFunction.Waiting waiting(int i) {
    return new TokenizeFunction.Waiting(new RawRecord("k", new byte[0], "t", 0, i), null);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
