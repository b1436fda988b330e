package dev.refinery.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where a benchmark's cores went: the CPU time of this JVM's threads between two moments, summed by
 * the part they belong to (a stage, the broker, the JIT compiler, GC). Java threads by their names;
 * the JVM's own threads from {@code /proc/self/task} (Linux), where they are not Java threads. The
 * process total comes from the OS, so the CPU of threads that ended in between shows as its own
 * line.
 */
final class CpuSplit {
  /** A part and the thread names that belong to it, first match wins. */
  private record Part(String name, Pattern threads) {}

  /** The part of dedup-filter's stream threads. */
  static final String STREAM_THREADS = "dedup-filter stream threads";

  /** The part of the network threads of dedup-filter's producers. */
  static final String STREAM_PRODUCERS = "dedup-filter producers' I/O";

  /**
   * The part of the tokenizer's threads that tokenize documents: each slot's task thread, which
   * reads its input and (at {@code tokenizer.tokenize.threads=1}) tokenizes it, and the slot's pool
   * where it has one.
   */
  static final String TOKENIZING = "tokenizer: reading and tokenizing threads";

  /**
   * The part of the tokenizer's other Flink threads: fetching, packing, writing, checkpoints. Apart
   * from {@link #TOKENIZING}, so that what the stage spends beside the encoding itself shows.
   */
  static final String TOKENIZER = "tokenizer: Flink's other threads";

  private static final List<Part> PARTS =
      List.of(
          new Part(STREAM_THREADS, Pattern.compile(".*-StreamThread-\\d+$")),
          new Part(
              STREAM_PRODUCERS,
              Pattern.compile("kafka-producer-network-thread \\| .*StreamThread.*")),
          new Part(TOKENIZING, Pattern.compile("(tokenize-\\d+|Source: clean-source -> .*)")),
          new Part(
              TOKENIZER,
              Pattern.compile(
                  "(Source: .*|pack-sequences.*|flink-.*|Flink.*|jobmanager.*|AsyncOperations.*|.*[Cc]heckpoint.*|Source Data Fetcher.*|OutputFlusher.*|.*Writer.*)")),
          new Part("ingest", Pattern.compile("ingest-.*")),
          new Part(
              "broker",
              Pattern.compile(
                  "(data-plane-kafka.*|kafka-.*|group-coordinator.*|quorum-controller.*|TxnMarker.*|AddPartitionsToTxn.*|log-closing.*|ExpirationReaper.*|.*raft.*|controller-.*|broker-.*|transaction-.*|LogDirFailure.*|share-coordinator.*)")),
          new Part("JIT compiler", Pattern.compile("C[12] CompilerThre.*")),
          new Part("GC", Pattern.compile("(GC Thread.*|G1 .*|VM Periodic.*)")));

  private final Map<String, Long> startNanos;
  private final long startProcessNanos;
  private final long[] startMachine;
  private final long startedAt = System.nanoTime();

  private CpuSplit(Map<String, Long> startNanos, long startProcessNanos, long[] startMachine) {
    this.startNanos = startNanos;
    this.startProcessNanos = startProcessNanos;
    this.startMachine = startMachine;
  }

  /** Starts counting from now. */
  static CpuSplit start() {
    return new CpuSplit(byPart(), processNanos(), machineTicks());
  }

  /** The CPU seconds the part's threads that are still running used since {@link #start}. */
  double seconds(String part) {
    return Math.max(0, byPart().getOrDefault(part, 0L) - startNanos.getOrDefault(part, 0L)) / 1e9;
  }

  /** Prints the cores each part used since {@link #start}, most first, indented so. */
  void print(String indent) {
    double seconds = (System.nanoTime() - startedAt) / 1e9;
    Map<String, Long> now = byPart();
    Map<String, Double> cores = new LinkedHashMap<>();
    long counted = 0;
    for (Map.Entry<String, Long> e : now.entrySet()) {
      long used = Math.max(0, e.getValue() - startNanos.getOrDefault(e.getKey(), 0L));
      counted += used;
      cores.put(e.getKey(), used / 1e9 / seconds);
    }
    long total = processNanos() - startProcessNanos;
    if (total > 0) {
      cores.put("threads that ended, or not named", Math.max(0, total - counted) / 1e9 / seconds);
    }
    System.out.printf(
        Locale.ROOT,
        "%swhere the cores went (%.1f s; this JVM: %.2f cores of %d):%n",
        indent,
        seconds,
        total / 1e9 / seconds,
        Runtime.getRuntime().availableProcessors());
    long[] machine = machineTicks();
    if (machine != null && startMachine != null) {
      // what this JVM's figures leave out: other processes, and the hypervisor's steal (a virtual
      // core not running while it was wanted), which slows a run without showing in its CPU
      double busy = (machine[0] - startMachine[0]) * TICK_NANOS / 1e9 / seconds;
      double stolen = (machine[1] - startMachine[1]) * TICK_NANOS / 1e9 / seconds;
      System.out.printf(
          Locale.ROOT,
          "%s  (the machine: %.2f cores busy, %.2f of them outside this JVM; %.2f stolen by the"
              + " hypervisor)%n",
          indent,
          busy,
          Math.max(0, busy - total / 1e9 / seconds),
          stolen);
    }
    cores.entrySet().stream()
        .filter(e -> e.getValue() >= 0.005)
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .forEach(
            e ->
                System.out.printf(
                    Locale.ROOT, "%s  %5.2f  %s%n", indent, e.getValue(), e.getKey()));
  }

  private static Map<String, Long> byPart() {
    Map<String, Long> parts = new LinkedHashMap<>();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    for (var info : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (info != null) {
        long cpu = mx.getThreadCpuTime(info.getThreadId());
        if (cpu > 0) {
          parts.merge(partOf(info.getThreadName(), "other Java threads"), cpu, Long::sum);
        }
      }
    }
    // the JVM's own threads are not Java threads: only /proc knows them
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        try {
          String name = Files.readString(task.resolve("comm")).strip();
          String part = partOf(name, null);
          if (part != null && (part.equals("JIT compiler") || part.equals("GC"))) {
            String stat = Files.readString(task.resolve("stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            parts.merge(
                part, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NANOS, Long::sum);
          }
        } catch (IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      // not Linux: the JVM's threads are left out
    }
    return parts;
  }

  /** A clock tick of {@code /proc}: USER_HZ is 100 on Linux. */
  private static final long TICK_NANOS = 10_000_000L;

  /**
   * The machine's busy ticks (user, nice, system, irq, softirq) and its stolen ticks, from the
   * first line of {@code /proc/stat}; null where there is none (not Linux).
   */
  private static long[] machineTicks() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy =
          Long.parseLong(f[1])
              + Long.parseLong(f[2])
              + Long.parseLong(f[3])
              + Long.parseLong(f[6])
              + Long.parseLong(f[7]);
      return new long[] {busy, Long.parseLong(f[8])};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String partOf(String thread, String otherwise) {
    for (Part p : PARTS) {
      if (p.threads().matcher(thread).matches()) {
        return p.name();
      }
    }
    return otherwise;
  }

  private static long processNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
