package dev.refinery.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Calls of /v1/rm-pairs that overlap while the topic stands still share one read. */
class SharedPairsTest {
  private final AtomicLong end = new AtomicLong(10);
  private final List<Spool> closed = new ArrayList<>();

  /** What a read holds, as a spool of pairs would. */
  private final class Spool implements AutoCloseable {
    @Override
    public void close() {
      synchronized (SharedPairsTest.this) {
        closed.add(this);
      }
    }
  }

  private SharedPairs<Spool> shared() {
    return new SharedPairs<>(
        () -> Map.of(new TopicPartition("feedback.rm-pairs.v1", 0), end.get()), this::read);
  }

  private Spool read() {
    return new Spool();
  }

  @Test
  void overlappingCallsShareOneReadWhichGoesWithTheLastOfThem() {
    SharedPairs<Spool> shared = shared();
    SharedPairs<Spool>.Lease first = shared.acquire();
    SharedPairs<Spool>.Lease second = shared.acquire();

    assertThat(second.pairs()).isSameAs(first.pairs());
    assertThat(shared.reads()).isEqualTo(1);
    first.close();
    first.close(); // a second close of one call changes nothing
    assertThat(closed).isEmpty();
    second.close();
    assertThat(closed).containsExactly(first.pairs());

    // no call holds it any more: the next reads the topic again
    try (SharedPairs<Spool>.Lease third = shared.acquire()) {
      assertThat(third.pairs()).isNotSameAs(first.pairs());
    }
    assertThat(shared.reads()).isEqualTo(2);
  }

  @Test
  void aCallAfterTheTopicMovedReadsItAgainAndTheEarlierCallsKeepTheirs() {
    SharedPairs<Spool> shared = shared();
    SharedPairs<Spool>.Lease before = shared.acquire();
    end.set(11);
    SharedPairs<Spool>.Lease after = shared.acquire();

    assertThat(after.pairs()).isNotSameAs(before.pairs());
    assertThat(shared.reads()).isEqualTo(2);
    assertThat(closed).isEmpty();
    before.close();
    assertThat(closed).containsExactly(before.pairs());
    // a call now shares the newer read
    try (SharedPairs<Spool>.Lease again = shared.acquire()) {
      assertThat(again.pairs()).isSameAs(after.pairs());
    }
    after.close();
    assertThat(closed).containsExactly(before.pairs(), after.pairs());
  }

  @Test
  void aCallThatComesWhileTheReadIsUnderWayWaitsForIt() throws Exception {
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch mayFinish = new CountDownLatch(1);
    SharedPairs<Spool> shared =
        new SharedPairs<>(
            () -> Map.of(new TopicPartition("feedback.rm-pairs.v1", 0), 10L),
            () -> {
              reading.countDown();
              try {
                mayFinish.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return read();
            });
    AtomicReference<SharedPairs<Spool>.Lease> firstLease = new AtomicReference<>();
    CompletableFuture<Void> first =
        CompletableFuture.runAsync(() -> firstLease.set(shared.acquire()));
    assertThat(reading.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<SharedPairs<Spool>.Lease> second =
        CompletableFuture.supplyAsync(shared::acquire);
    mayFinish.countDown();
    first.get(30, TimeUnit.SECONDS);
    SharedPairs<Spool>.Lease secondLease = second.get(30, TimeUnit.SECONDS);

    assertThat(secondLease.pairs()).isSameAs(firstLease.get().pairs());
    assertThat(shared.reads()).isEqualTo(1);
    firstLease.get().close();
    secondLease.close();
    assertThat(closed).hasSize(1);
  }

  @Test
  void aFailedReadFailsItsCallsAndTheNextCallReadsAgain() {
    AtomicLong attempts = new AtomicLong();
    SharedPairs<Spool> shared =
        new SharedPairs<>(
            () -> Map.of(new TopicPartition("feedback.rm-pairs.v1", 0), 10L),
            () -> {
              if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("the broker went away");
              }
              return read();
            });

    assertThatThrownBy(shared::acquire)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the broker went away");
    try (SharedPairs<Spool>.Lease lease = shared.acquire()) {
      assertThat(lease.pairs()).isNotNull();
    }
    assertThat(shared.reads()).isEqualTo(2);
  }
}
