package dev.refinery.runtime.streams;

import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin-side lag of a Streams application's input topics ({@link AdminLag}), refreshed on a
 * thread of its own so that whoever reads it (a health probe, a stream thread) never waits on the
 * cluster; -1 until known.
 */
public final class InputLag implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InputLag.class);

  private final ScheduledExecutorService timer;
  private final Admin admin;
  private volatile long lag = -1;

  /** Whether the cluster answered the last time it was asked. */
  private volatile boolean answered;

  /**
   * Starts refreshing at once.
   *
   * @param config the application's Streams settings (its admin client's come from them)
   * @param topics the input topics, internal ones by their full names
   * @param every how often the lag is asked for
   * @param name what the client and the thread are called after the application id
   */
  public InputLag(
      Properties config, String applicationId, Set<String> topics, Duration every, String name) {
    this.admin =
        Admin.create(new StreamsConfig(config).getAdminConfigs(applicationId + "-" + name));
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, applicationId + "-" + name);
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            lag = AdminLag.of(admin, applicationId, topics, Duration.ofSeconds(10));
            answered = true;
          } catch (Exception e) {
            answered = false;
            LOG.debug("input lag of {} not known now: {}", applicationId, e.toString());
          }
        },
        0,
        every.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** The records waiting when the cluster last answered, or -1 before it has. */
  public long get() {
    return lag;
  }

  /**
   * Whether the application had read everything on its input topics when last asked: false while
   * the cluster does not answer, whatever it said before.
   */
  public boolean caughtUp() {
    return answered && lag == 0;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }
}
