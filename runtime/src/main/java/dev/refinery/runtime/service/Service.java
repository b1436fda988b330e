package dev.refinery.runtime.service;

import dev.refinery.runtime.http.Health;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * What every Refinery service is to the launcher and to operators: started by its own {@code
 * start(config)} factory, then ready or not, healthy or not, serving at some endpoints, and closed
 * once. {@link Services} starts a list of them and closes them in reverse.
 */
public interface Service extends AutoCloseable {
  /** A short name for logs and summaries: {@code ingest}, {@code dedup-filter}, ... */
  String name();

  /** Whether it does its work now (caught up with what it must read first, running). */
  boolean ready();

  /** What {@code GET /health} reports. */
  Health health();

  /** Where it serves, by role: {@code http}, {@code metrics}, {@code ranks}, ... */
  Map<String, URI> endpoints();

  /** Stops it and releases what it holds; idempotent. */
  @Override
  void close();

  /**
   * Waits until {@link #ready()}.
   *
   * @throws IllegalStateException naming the service and its health if it is not in {@code timeout}
   */
  default void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            name() + " is not ready after " + timeout + ": " + health().details());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + name(), e);
      }
    }
  }
}
