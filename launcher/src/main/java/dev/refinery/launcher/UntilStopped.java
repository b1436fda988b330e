package dev.refinery.launcher;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * Keeps a long-running command in the foreground until Ctrl-C or SIGTERM, then stops what it ran.
 */
final class UntilStopped {
  /** Stops a running thing; may take a while and may fail. */
  interface Stoppable {
    void stop() throws Exception;
  }

  private UntilStopped() {}

  /** Says "Ctrl-C stops.", then {@link #await}s; the exit status of a command that served. */
  static int serve(java.io.PrintWriter out, String name, Stoppable running)
      throws InterruptedException {
    out.println("Ctrl-C stops.");
    out.flush();
    await(name, running);
    return 0;
  }

  /**
   * How long a stop may take before the process ends anyway ({@code REFINERY_STOP_TIMEOUT_S},
   * default 60 s): SIGTERM always ends a stage within a bound, whatever a client library waits on.
   */
  static final long STOP_TIMEOUT_S =
      Long.parseLong(System.getenv().getOrDefault("REFINERY_STOP_TIMEOUT_S", "60"));

  /**
   * Blocks until the JVM is asked to stop; {@code running} is stopped first, in the shutdown hook,
   * and the process halts if that takes longer than {@link #STOP_TIMEOUT_S}.
   */
  static void await(String name, Stoppable running) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  Thread watchdog =
                      new Thread(
                          () -> {
                            try {
                              if (!stopped.await(STOP_TIMEOUT_S, TimeUnit.SECONDS)) {
                                System.err.printf(
                                    "%s did not stop in %d s; ending the process%n",
                                    name, STOP_TIMEOUT_S);
                                Runtime.getRuntime().halt(Refinery.FAILURE);
                              }
                            } catch (InterruptedException e) {
                              Thread.currentThread().interrupt();
                            }
                          },
                          name + "-stop-watchdog");
                  watchdog.setDaemon(true);
                  watchdog.start();
                  try {
                    running.stop();
                  } catch (Exception e) {
                    LoggerFactory.getLogger(UntilStopped.class)
                        .warn("{} did not stop cleanly", name, e);
                  } finally {
                    stopped.countDown();
                  }
                },
                name + "-shutdown"));
    stopped.await();
  }
}
