package dev.refinery.bench;

import dev.refinery.dedup.DedupFilterConfig;
import dev.refinery.dedup.DedupFilterService;
import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.infra.TopicProvisioner;
import dev.refinery.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * How long a second dedup-filter instance takes to get work: one instance drains a backlog of
 * documents, a second one with the same application id starts, and the time until it runs active
 * tasks is printed, with the time the first took to hand them over. Kafka Streams' defaults take up
 * to 10 minutes (the probing rebalance interval); Refinery's settings aim at about a minute.
 */
public final class ScaleOutBench {
  private ScaleOutBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    Path work = Path.of(options.getOrDefault("work-dir", ".refinery/bench"));
    int count = Integer.parseInt(options.getOrDefault("docs", "20000"));
    Path run = work.resolve("scaleout-" + System.nanoTime());
    Files.createDirectories(run);
    try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral(run.resolve("kafka"));
        Admin admin =
            Admin.create(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      String bootstrap = kafka.bootstrapServers();
      new TopicProvisioner(admin).provision(Topics.fixed());
      long bytes = DedupBench.produce(bootstrap, count);
      System.out.printf(
          Locale.ROOT,
          "backlog: %,d documents, %.1f MB on %s (%d partitions)%n",
          count,
          bytes / 1e6,
          Topics.CORPUS_RAW.name(),
          Topics.CORPUS_RAW.partitions());
      Map<String, Object> first = DedupBench.settings(bootstrap, "scaleout", run.resolve("a"), 1);
      String applicationId = (String) first.get(DedupFilterConfig.APPLICATION_ID);
      Map<String, Object> second = DedupBench.settings(bootstrap, "scaleout", run.resolve("b"), 1);
      second.put(DedupFilterConfig.APPLICATION_ID, applicationId);
      try (DedupFilterService a = DedupFilterService.start(new DedupFilterConfig(first))) {
        a.awaitRunning(Duration.ofSeconds(60));
        System.out.printf("instance a: %d active tasks%n", a.activeTasks());
        long t0 = System.nanoTime();
        try (DedupFilterService b = DedupFilterService.start(new DedupFilterConfig(second))) {
          long deadline = t0 + Duration.ofMinutes(15).toNanos();
          while (b.activeTasks() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
          }
          double seconds = (System.nanoTime() - t0) / 1e9;
          System.out.printf(
              Locale.ROOT,
              "instance b: %d active tasks %.1f s after it started (instance a: %d)%n",
              b.activeTasks(),
              seconds,
              a.activeTasks());
          System.out.printf(
              Locale.ROOT, "second instance active in %.1f s (goal <= 60 s)%n", seconds);
        }
      }
    } finally {
      BenchKafka.deleteRecursively(run);
    }
  }
}
