package dev.refinery.tokenizer;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import org.apache.flink.core.execution.JobClient;

/** Ending the jobs the tests start. */
final class Jobs {
  private Jobs() {}

  /**
   * Cancels the job and waits until it has ended (its status terminal, or its per-job cluster shut
   * down), so that the next test does not meet it. Its checkpoint folders are left for the build to
   * clean ({@code @TempDir(cleanup = NEVER)}): the cluster's shutdown still wrote into one while
   * JUnit deleted it ("Failed to delete temp directory", once in a suite).
   */
  static void cancel(JobClient job) throws Exception {
    job.cancel().get();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (job.getJobStatus().get().isGloballyTerminalState()) {
          return;
        }
      } catch (ExecutionException | IllegalStateException e) {
        return; // the job's cluster is shut down, or shutting down, with it
      }
      Thread.sleep(50);
    }
    throw new AssertionError("job " + job.getJobID() + " did not end within 60 s of its cancel");
  }
}
