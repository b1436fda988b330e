package dev.refinery.runtime.service;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parts started in order and closed in reverse: a broker, then the stages that use it, then the
 * services in front of them. If a start fails, what was started is closed (in reverse) and the
 * failure is thrown, so a half-started process never lingers.
 */
public final class Services implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Services.class);

  /** Starts one part. */
  @FunctionalInterface
  public interface Starter<T extends AutoCloseable> {
    T start() throws Exception;
  }

  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  /**
   * Starts a part and keeps it to close; on failure closes everything started so far.
   *
   * @return the started part
   */
  public <T extends AutoCloseable> T start(Starter<T> starter) throws Exception {
    T part;
    try {
      part = starter.start();
    } catch (Exception | Error e) {
      close();
      throw e;
    }
    if (part != null) {
      started.push(part);
    }
    return part;
  }

  /** The started parts that are {@link Service}s, in start order. */
  public List<Service> services() {
    List<Service> services = new ArrayList<>();
    started
        .descendingIterator()
        .forEachRemaining(
            p -> {
              if (p instanceof Service s) {
                services.add(s);
              }
            });
    return services;
  }

  /** Closes every started part, last first; a part that fails to close does not stop the rest. */
  @Override
  public void close() {
    while (!started.isEmpty()) {
      AutoCloseable part = started.pop();
      try {
        part.close();
      } catch (Exception e) {
        LOG.warn("{} did not close cleanly: {}", part, e.toString());
      }
    }
  }
}
