package dev.refinery.runtime.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Which input partitions a transaction left open holds, and when the cluster is asked who. */
class OpenTransactionsTest {
  static final TopicPartition RAW_0 = new TopicPartition("corpus.raw.v1", 0);
  static final TopicPartition RAW_1 = new TopicPartition("corpus.raw.v1", 1);

  private final List<String> asked = new ArrayList<>();
  private final OpenTransactions.Holders holders =
      (tp, offset) -> {
        asked.add(tp + "@" + offset);
        return new OpenTransactions.Holder(7, "refinery-ingest-0");
      };

  /** raw-0 stable at {@code stable0} of {@code high0}; raw-1 read to its end, 20. */
  private static AdminLag.Snapshot snapshot(long at, long stable0, long high0) {
    return new AdminLag.Snapshot(
        at,
        Map.of(RAW_0, 0L, RAW_1, 0L),
        Map.of(RAW_0, stable0, RAW_1, 20L),
        Map.of(RAW_0, high0, RAW_1, 20L));
  }

  @Test
  void aPartitionWhoseStableOffsetStaysBelowItsEndIsHeldAndItsHolderAskedForOnce() {
    var open = new OpenTransactions(Duration.ofSeconds(60));
    assertThat(open.observe(snapshot(0, 5, 9), 0, holders)).isEmpty();
    assertThat(open.observe(snapshot(59_999, 5, 12), 59_999, holders)).isEmpty();
    assertThat(open.held(59_999)).as("not yet a minute").isEmpty();
    assertThat(asked).isEmpty();

    List<OpenTransactions.Held> reported = open.observe(snapshot(60_000, 5, 14), 60_000, holders);
    assertThat(reported).singleElement().satisfies(h -> assertThat(h.partition()).isEqualTo(RAW_0));
    assertThat(open.observe(snapshot(75_000, 5, 14), 75_000, holders))
        .as("reported once")
        .isEmpty();
    assertThat(asked).containsExactly("corpus.raw.v1-0@5");
    assertThat(open.held(75_000))
        .singleElement()
        .satisfies(
            h -> {
              assertThat(h.heldFor()).isEqualTo(Duration.ofSeconds(75));
              assertThat(h.describe())
                  .contains(
                      "corpus.raw.v1-0 waits at offset 5 for 75 s",
                      "producer id 7 (transactional id refinery-ingest-0)",
                      "start the process with that transactional id again");
            });
  }

  @Test
  void aStableOffsetThatMovesOrReachesTheEndIsNoLongerHeld() {
    var open = new OpenTransactions(Duration.ofSeconds(60));
    open.observe(snapshot(0, 5, 9), 0, holders);
    // transactions one after another (continuous ingest): the stable offset moves each time
    open.observe(snapshot(30_000, 9, 12), 30_000, holders);
    assertThat(open.observe(snapshot(70_000, 9, 12), 70_000, holders)).isEmpty();
    assertThat(open.observe(snapshot(90_000, 9, 12), 90_000, holders)).hasSize(1);
    // aborted at last: the marker makes the end stable
    open.observe(snapshot(100_000, 13, 13), 100_000, holders);
    assertThat(open.held(100_000)).isEmpty();
    assertThat(asked).containsExactly("corpus.raw.v1-0@9");
  }

  @Test
  void aHolderTheClusterDoesNotNameIsStillReported() {
    var open = new OpenTransactions(Duration.ZERO);
    open.observe(snapshot(0, 5, 9), 0, (tp, offset) -> null);
    assertThat(open.held(1_000))
        .singleElement()
        .satisfies(h -> assertThat(h.describe()).contains("behind a transaction still open:"));
  }
}
