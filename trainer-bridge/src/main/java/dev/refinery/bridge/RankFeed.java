package dev.refinery.bridge;

import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches the batches of one rank's plan from the token topics, ahead of the trainer, within a
 * bound: at most {@code prefetch} planned steps are fetched ahead, and per partition at most {@code
 * prefetch} records beyond them are held.
 *
 * <p>A thread of its own reads every partition of the run's streams ({@code read_committed}, no
 * consumer group) and keeps a record only if the plan names it, by the batch index in its key
 * ({@code <stream>-<index>}); it decodes kept batches there, ahead of the rank. Indexes grow with
 * offsets within a partition (one packer per stream, one transactional writer), so records beyond
 * the plan wait in their partition's queue, in order, and a partition whose queue is full is paused
 * until the plan gets there. The partition that holds the plan's next batch is never held up, so
 * reading cannot stall. A batch that every partition of its stream has passed without showing it is
 * gone (deleted by retention, or the stream's indexes restarted): the feed says so rather than
 * waiting for ever.
 */
final class RankFeed implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RankFeed.class);

  /**
   * A planned batch as read: its step, where it was, and the batch (decoded here, ahead of the
   * rank) or why it does not decode.
   */
  record Fetched(
      RankPlan.Step step,
      String topic,
      int partition,
      long offset,
      TokenBatch batch,
      String error) {}

  /** The plan's next batch will never come. */
  static final class GoneException extends RuntimeException {
    GoneException(String message) {
      super(message);
    }
  }

  private record Key(int stream, long index) {}

  private final Mixture mixture;
  private final RankPlan plan;
  private final int prefetch;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<String, Integer> streamOfTopic = new HashMap<>();
  private final Map<Integer, List<TopicPartition>> partitionsOfStream = new HashMap<>();
  private final Thread thread;
  private final List<TopicBinding<String, TokenBatch>> bindings;
  private final PoisonRecords poison;

  private final Object lock = new Object();
  private final ArrayDeque<RankPlan.Step> planned = new ArrayDeque<>();
  private final Set<Key> wanted = new HashSet<>();
  private final long[] lastPlanned;
  private final Map<Key, Fetched> fetched = new HashMap<>();
  private final Map<TopicPartition, ArrayDeque<ConsumerRecord<String, byte[]>>> ahead =
      new HashMap<>();
  private final Set<TopicPartition> paused = new HashSet<>();
  private final Map<TopicPartition, Long> lastIndex = new HashMap<>();
  private boolean resumeRequested;
  private volatile boolean closed;
  private RuntimeException failure;
  private long skippedRecords;
  private final java.util.function.Consumer<TokenBatch> onFetched;

  /**
   * @param start where to start each partition; partitions not in it start at their beginning
   * @param counts per stream (mixture order), the batch index the run is at: below it, nothing is
   *     read
   * @param fetched told of each batch of the plan as it is fetched, ahead of its step (to fetch
   *     what the batch will need, such as its images, before it is sent)
   */
  RankFeed(
      BridgeConfig config,
      Mixture mixture,
      RankPlan plan,
      long[] counts,
      Map<TopicPartition, Long> start,
      int prefetch,
      String clientId,
      List<TopicBinding<String, TokenBatch>> bindings,
      PoisonRecords poison,
      java.util.function.Consumer<TokenBatch> fetched) {
    this.onFetched = fetched;
    this.bindings = List.copyOf(bindings);
    this.poison = poison;
    this.mixture = mixture;
    this.plan = plan;
    this.prefetch = prefetch;
    this.lastPlanned = new long[mixture.size()];
    for (int s = 0; s < mixture.size(); s++) {
      lastPlanned[s] = counts[s] - 1;
    }
    this.consumer =
        TokenConsumers.create(
            config, clientId, Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
    try {
      List<TopicPartition> all = new ArrayList<>();
      for (int s = 0; s < mixture.size(); s++) {
        List<TopicPartition> tps = TokenConsumers.partitions(consumer, mixture.stream(s));
        streamOfTopic.put(tps.get(0).topic(), s);
        partitionsOfStream.put(s, tps);
        all.addAll(tps);
      }
      consumer.assign(all);
      List<TopicPartition> fromBeginning = new ArrayList<>();
      for (TopicPartition tp : all) {
        Long offset = start.get(tp);
        if (offset == null) {
          fromBeginning.add(tp);
        } else {
          consumer.seek(tp, offset);
        }
      }
      consumer.seekToBeginning(fromBeginning);
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
    }
    synchronized (lock) {
      extendPlan();
    }
    this.thread = new Thread(this::run, clientId + "-fetch");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * The plan's next batch, waiting at most {@code timeoutMs} for it ({@code 0}: not at all); {@code
   * null} if it has not come.
   *
   * @throws GoneException if it never will
   */
  Fetched next(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    synchronized (lock) {
      while (true) {
        if (failure != null) {
          throw failure;
        }
        RankPlan.Step head = planned.peekFirst();
        Key key = new Key(head.stream(), head.index());
        Fetched f = fetched.remove(key);
        if (f != null) {
          planned.removeFirst();
          wanted.remove(key);
          extendPlan();
          if (drainAhead()) {
            consumer.wakeup(); // a paused partition has room again: let the reader resume it
          }
          return f;
        }
        checkGone(head);
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        lock.wait(Math.max(1, left / 1_000_000L));
      }
    }
  }

  /** The plan's next step (what {@link #next} returns next). */
  RankPlan.Step peek() {
    synchronized (lock) {
      return planned.peekFirst();
    }
  }

  /** Batches fetched and waiting for the rank. */
  int buffered() {
    synchronized (lock) {
      return fetched.size();
    }
  }

  /**
   * How far the rank is behind what has been read of its streams: per stream, the newest batch
   * index read less the next one the rank will get, summed (0 when it keeps up with the head).
   */
  long lag() {
    synchronized (lock) {
      long[] newest = new long[mixture.size()];
      java.util.Arrays.fill(newest, -1);
      lastIndex.forEach(
          (tp, index) -> {
            int s = streamOfTopic.get(tp.topic());
            newest[s] = Math.max(newest[s], index);
          });
      long[] next = lastPlanned.clone();
      for (int s = 0; s < next.length; s++) {
        next[s]++;
      }
      for (RankPlan.Step step : planned) {
        next[step.stream()] = Math.min(next[step.stream()], step.index());
      }
      long lag = 0;
      for (int s = 0; s < newest.length; s++) {
        lag += Math.max(0, newest[s] - next[s] + 1);
      }
      return lag;
    }
  }

  /** Records read and not kept: other ranks' batches, and records whose key has no index. */
  long skippedRecords() {
    synchronized (lock) {
      return skippedRecords;
    }
  }

  private void run() {
    try {
      while (!closed) {
        ConsumerRecords<String, byte[]> records;
        try {
          records = consumer.poll(Duration.ofMillis(200));
        } catch (WakeupException e) {
          records = ConsumerRecords.empty();
        }
        synchronized (lock) {
          for (ConsumerRecord<String, byte[]> r : records) {
            offer(new TopicPartition(r.topic(), r.partition()), r);
          }
          if (resumeRequested) {
            resumeRequested = false;
            List<TopicPartition> resume = new ArrayList<>();
            for (TopicPartition tp : paused) {
              if (ahead.getOrDefault(tp, EMPTY).size() < prefetch) {
                resume.add(tp);
              }
            }
            resume.forEach(paused::remove);
            consumer.resume(resume);
          }
          lock.notifyAll();
        }
      }
    } catch (RuntimeException e) {
      if (!closed) {
        LOG.error("reading the token topics failed", e);
        synchronized (lock) {
          failure = e;
          lock.notifyAll();
        }
      }
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private static final ArrayDeque<ConsumerRecord<String, byte[]>> EMPTY = new ArrayDeque<>();

  /** A record as read: taken now, or queued behind its partition's records beyond the plan. */
  private void offer(TopicPartition tp, ConsumerRecord<String, byte[]> r) {
    long index = indexOf(r);
    if (index < 0) {
      skippedRecords++;
      poison.report(
          r,
          PoisonRecords.NO_BATCH_INDEX,
          "its key is not <stream>-<batch index>, so no plan can name it; skipped");
      return;
    }
    lastIndex.put(tp, index);
    ArrayDeque<ConsumerRecord<String, byte[]>> queue =
        ahead.computeIfAbsent(tp, k -> new ArrayDeque<>());
    if (queue.isEmpty() && !beyondPlan(r, index)) {
      take(r, index);
      return;
    }
    queue.addLast(r);
    if (queue.size() >= prefetch && paused.add(tp)) {
      consumer.pause(List.of(tp));
    }
  }

  /** Takes the queued records the plan has reached; true if a paused partition now has room. */
  private boolean drainAhead() {
    boolean room = false;
    for (var e : ahead.entrySet()) {
      ArrayDeque<ConsumerRecord<String, byte[]>> queue = e.getValue();
      while (!queue.isEmpty()) {
        ConsumerRecord<String, byte[]> r = queue.peekFirst();
        long index = indexOf(r);
        if (beyondPlan(r, index)) {
          break;
        }
        queue.removeFirst();
        take(r, index);
      }
      if (queue.size() < prefetch && paused.contains(e.getKey())) {
        room = true;
      }
    }
    if (room) {
      resumeRequested = true;
    }
    return room;
  }

  /** Whether a record's index is past what the plan covers, even after planning further. */
  private boolean beyondPlan(ConsumerRecord<String, byte[]> r, long index) {
    int s = streamOfTopic.get(r.topic());
    if (index > lastPlanned[s]) {
      extendPlan();
    }
    return index > lastPlanned[s];
  }

  /** Keeps a record the plan has reached if the plan names it, else drops it. */
  private void take(ConsumerRecord<String, byte[]> r, long index) {
    int s = streamOfTopic.get(r.topic());
    Key key = new Key(s, index);
    if (wanted.contains(key)) {
      RankPlan.Step step = stepOf(key);
      TokenBatch batch = null;
      String error = null;
      try {
        batch = bindings.get(s).deserialize(r.value());
      } catch (SerializationException e) {
        error =
            "the batch at "
                + r.topic()
                + "["
                + r.partition()
                + "]@"
                + r.offset()
                + " does not decode: "
                + e.getMessage();
        poison.report(
            r,
            PoisonRecords.UNDECODABLE_BATCH,
            "the batch does not decode ("
                + e.getMessage()
                + "); its step is served without tokens");
      }
      fetched.put(key, new Fetched(step, r.topic(), r.partition(), r.offset(), batch, error));
      if (batch != null) {
        onFetched.accept(batch);
      }
    } else {
      skippedRecords++;
    }
  }

  private RankPlan.Step stepOf(Key key) {
    for (RankPlan.Step step : planned) {
      if (step.stream() == key.stream() && step.index() == key.index()) {
        return step;
      }
    }
    throw new IllegalStateException("not planned: " + key);
  }

  private void extendPlan() {
    while (planned.size() < prefetch) {
      RankPlan.Step step = plan.next();
      planned.addLast(step);
      wanted.add(new Key(step.stream(), step.index()));
      lastPlanned[step.stream()] = Math.max(lastPlanned[step.stream()], step.index());
    }
  }

  private void checkGone(RankPlan.Step head) {
    List<TopicPartition> tps = partitionsOfStream.get(head.stream());
    for (TopicPartition tp : tps) {
      Long seen = lastIndex.get(tp);
      if (seen == null || seen <= head.index()) {
        return;
      }
    }
    throw new GoneException(
        "batch "
            + head.index()
            + " of stream '"
            + mixture.stream(head.stream())
            + "' is not on "
            + Topics.tokens(mixture.stream(head.stream())).name()
            + ": every partition is past it (deleted by retention, the stream's batch numbers"
            + " restarted, or batches written out of order). Start a new run, or resume from a later checkpoint.");
  }

  /** The batch index in a record's key, {@code <stream>-<index>}; -1 if there is none. */
  static long indexOf(ConsumerRecord<String, ?> r) {
    return dev.refinery.schemas.Keys.batchIndex(r.key());
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
