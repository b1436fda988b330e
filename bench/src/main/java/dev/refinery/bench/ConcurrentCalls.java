package dev.refinery.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** Numbered calls made by concurrent clients, each taking the next number, timed one by one. */
final class ConcurrentCalls {
  private ConcurrentCalls() {}

  /** What a call does once it is ready: the part that is timed. */
  interface Timed {
    void run() throws Exception;
  }

  /** Makes call {@code index} ready (its body, say), untimed. */
  interface Call {
    Timed prepare(int index) throws Exception;
  }

  /**
   * @param seconds from the first call to the last answer
   * @param p50Ms the median of the calls' timed parts
   * @param p99Ms their 99th percentile
   */
  record Timing(double seconds, double p50Ms, double p99Ms) {}

  /**
   * Makes calls {@code 0} to {@code calls - 1} from {@code clients} threads; the first failure ends
   * it.
   */
  static Timing run(int calls, int clients, Call call) throws Exception {
    long[] latencies = new long[calls];
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      long t0 = System.nanoTime();
      List<Future<?>> senders = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        senders.add(
            pool.submit(
                () -> {
                  for (int i = next.getAndIncrement(); i < calls; i = next.getAndIncrement()) {
                    Timed timed = call.prepare(i);
                    long s = System.nanoTime();
                    timed.run();
                    latencies[i] = System.nanoTime() - s;
                  }
                  return null;
                }));
      }
      for (Future<?> f : senders) {
        f.get();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      Arrays.sort(latencies);
      return new Timing(
          seconds,
          latencies[(int) (0.50 * (calls - 1))] / 1e6,
          latencies[(int) (0.99 * (calls - 1))] / 1e6);
    } finally {
      pool.shutdownNow();
    }
  }
}
