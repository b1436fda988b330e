package dev.refinery.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Waits, after a benchmark's warm-up, until the JIT compilers have caught up with it. In one JVM
 * with the broker, Kafka Streams and Flink, on two cores, HotSpot's one C2 thread ran 40 to 55 s
 * behind the code that the warm-up made hot (a JFR recording of {@code bench/run pipeline}: {@code
 * NetworkClient.poll} compiled by C1 at 36 s, by C2 at 82 s; {@code Sender.sendProducerData} at 50
 * and 105 s), so the measured corpus ran that code as C1's profiling build while C2 took 0.4 to 0.5
 * of a core. Waiting alone does little: the compilers go quiet within seconds once the load stops
 * (HotSpot asks for fewer C2 compiles while its queue is long), and compile again when it comes
 * back; {@link PipelineBench} also warms up twice.
 */
final class JitQuiet {
  private JitQuiet() {}

  /**
   * Returns once the compilers have spent under a tenth of the time compiling over two seconds, or
   * after {@code maxSeconds}, and prints how long that took.
   */
  static void await(int maxSeconds) throws InterruptedException {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
      return;
    }
    long start = System.nanoTime();
    long startCompiling = jit.getTotalCompilationTime();
    long windowMs = 2_000;
    long before = startCompiling;
    while (true) {
      Thread.sleep(windowMs);
      long now = jit.getTotalCompilationTime();
      double waited = (System.nanoTime() - start) / 1e9;
      if (now - before < windowMs / 10 || waited >= maxSeconds) {
        System.out.printf(
            Locale.ROOT,
            "JIT: %.0f s for the compilers to catch up with the warm-up (%.1f s of compiling)%s%n",
            waited,
            (now - startCompiling) / 1e3,
            now - before < windowMs / 10 ? "" : "; still compiling, measured anyway");
        return;
      }
      before = now;
    }
  }
}
