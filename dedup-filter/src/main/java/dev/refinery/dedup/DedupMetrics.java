package dev.refinery.dedup;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters of the stage: documents in and out, rejections by reason, replays dropped. */
public final class DedupMetrics {
  private final LongAdder in = new LongAdder();
  private final LongAdder clean = new LongAdder();
  private final LongAdder replays = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> rejected = new ConcurrentHashMap<>();

  void in() {
    in.increment();
  }

  void clean() {
    clean.increment();
  }

  void replay() {
    replays.increment();
  }

  void rejected(String reason) {
    rejected.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  public long documentsIn() {
    return in.sum();
  }

  public long documentsClean() {
    return clean.sum();
  }

  public long replaysDropped() {
    return replays.sum();
  }

  public Map<String, Long> rejectedByReason() {
    Map<String, Long> out = new TreeMap<>();
    rejected.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
