package dev.refinery.launcher;

import java.util.concurrent.CountDownLatch;
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
   * Blocks until the JVM is asked to stop; {@code running} is stopped first, in the shutdown hook.
   */
  static void await(String name, Stoppable running) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
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
