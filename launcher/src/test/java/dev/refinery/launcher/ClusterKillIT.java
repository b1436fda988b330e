package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.infra.testing.ProcessCluster;
import dev.refinery.infra.text.SyntheticText;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.Ingestor;
import dev.refinery.runtime.audit.PipelineAudit;
import dev.refinery.runtime.kafka.TopicSnapshot;
import dev.refinery.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KRaft brokers as separate processes, a stock broker configuration (default replication factor 1),
 * the whole pipeline on them: on three, topics get 3 replicas and min ISR 2 from Refinery itself;
 * on one, 1 and 1. The broker that leads most partitions is killed with SIGKILL while documents
 * flow, then started again. The audit then finds every document once: none lost, none twice, and
 * every stage went on without a restart (ingest resumes its files as a rerun after a crash would).
 */
class ClusterKillIT {
  private static final int FILES = 4;
  private static final int PER_FILE = 250;

  @TempDir Path dir;

  @Test
  void aBrokerKilledMidStreamLosesNothingAndDuplicatesNothing() throws Exception {
    killMidStream(3, "2");
  }

  /**
   * The post-crash stall, looked for: the only broker is killed while dedup-filter and the
   * tokenizer are busy and a file is being ingested, then started again on its data; every stage
   * must go on without a restart, and dedup-filter's health must not be DOWN for a stall.
   */
  @Test
  void theOnlyBrokerKilledMidStreamAndRestartedLeavesNoStageStalled() throws Exception {
    killMidStream(1, "1");
  }

  /**
   * A cluster of {@code nodes} brokers, the pipeline on it, the leader of most partitions killed
   * after the first file and started again 5 s later while the others are ingested; then the audit.
   */
  private void killMidStream(int nodes, String minIsr) throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(dir.resolve("cluster"), nodes)) {
      Map<String, String> values = new HashMap<>();
      values.put("bootstrap.servers", cluster.bootstrapServers());
      values.put("sources.kill.kind", "public_web");
      values.put("sources.kill.licence", "CC0-1.0");
      values.put("sources.kill.stream", "web");
      values.put("tokenizer.streams", "web");
      values.put("tokenizer.seq.len", "512");
      values.put("tokenizer.batch.sequences", "4");
      values.put("tokenizer.flush.idle.ms", "1000");
      values.put("tokenizer.checkpoint.interval.ms", "1000");
      values.put("tokenizer.metrics.port", "-1");
      values.put("dedup.http.port", "-1");
      values.put("dedup.hold.ms", "300");
      values.put("ingest.commit.records", "100");
      Settings settings = new Settings(dir.resolve("work"), null, Map.of(), values);
      List<Path> files = writeFiles(dir.resolve("data"));
      StringWriter log = new StringWriter();
      try (Pipeline pipeline = Pipeline.start(settings, false, new PrintWriter(log, true));
          Admin admin = Admin.create(settings.kafka().admin(Map.of()))) {
        TopicDescription raw =
            admin
                .describeTopics(List.of(Topics.CORPUS_RAW.name()))
                .allTopicNames()
                .get()
                .get(Topics.CORPUS_RAW.name());
        assertThat(raw.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(nodes));
        ConfigResource rawConfig = new ConfigResource(ConfigResource.Type.TOPIC, raw.name());
        assertThat(
                admin
                    .describeConfigs(List.of(rawConfig))
                    .all()
                    .get()
                    .get(rawConfig)
                    .get("min.insync.replicas")
                    .value())
            .isEqualTo(minIsr);

        // the first file goes in with every broker up; the rest while the victim is down and as
        // it comes back, with dedup-filter and the tokenizer busy all along
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CountDownLatch firstFile = new CountDownLatch(1);
        CountDownLatch killed = new CountDownLatch(1);
        Thread ingest =
            new Thread(
                () -> ingestAll(settings, files, firstFile, killed, failed), "kill-it-ingest");
        ingest.start();
        assertThat(firstFile.await(120, TimeUnit.SECONDS)).as("first file ingested").isTrue();

        int victim = leaderOfMost(admin);
        cluster.kill(victim);
        killed.countDown();
        Thread.sleep(5_000);
        cluster.startNode(victim);

        ingest.join(TimeUnit.MINUTES.toMillis(5));
        assertThat(failed.get()).as("ingest finished").isNull();
        cluster.awaitNodes(nodes, 120);

        PipelineAudit audit = PipelineAudit.read(settings.kafka(), List.of("web"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (!audit.drained() || audit.documents().size() < FILES * PER_FILE) {
          assertThat(audit.violations()).as("nothing twice").isEmpty();
          assertThat(System.nanoTime())
              .as(
                  "every document accounted for in time; %d of %d; %s",
                  audit.accountedFor(), audit.documents().size(), log)
              .isLessThan(deadline);
          Thread.sleep(2_000);
          audit = PipelineAudit.read(settings.kafka(), List.of("web"));
        }
        assertThat(audit.violations()).as("nothing twice").isEmpty();
        assertThat(audit.documents()).hasSize(FILES * PER_FILE);
        assertThat(audit.accountedFor()).isEqualTo(FILES * PER_FILE);
        assertThat(pipeline.dedup().health().up())
            .as("dedup-filter is healthy, not stalled: %s", pipeline.dedup().health().details())
            .isTrue();
        assertThat(pipeline.dedup().state())
            .as("dedup-filter went on without a restart")
            .isIn(
                org.apache.kafka.streams.KafkaStreams.State.RUNNING,
                org.apache.kafka.streams.KafkaStreams.State.REBALANCING);
      }
    }
  }

  /**
   * The post-crash stall, looked for harder: the only broker and dedup-filter, each its own JVM,
   * are killed with SIGKILL at the same moment while a file is being ingested, then both started
   * again (dedup-filter on the state folder it had). dedup-filter must decide every document once,
   * report UP, and stop on SIGTERM.
   */
  @Test
  void theBrokerAndDedupFilterKilledTogetherAndRestartedDecideEveryDocumentOnce() throws Exception {
    killBrokerAndDedupFilter(false);
  }

  /**
   * As above, dedup-filter started again elsewhere, without its state folder (a pod rescheduled
   * without its volume): a new process id, so new transactional ids, and the killed instance's open
   * transaction ends only when the broker times it out.
   */
  @Test
  void theBrokerAndDedupFilterKilledTogetherAndRestartedElsewhereDecideEveryDocumentOnce()
      throws Exception {
    killBrokerAndDedupFilter(true);
  }

  private void killBrokerAndDedupFilter(boolean elsewhere) throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(dir.resolve("cluster"), 1)) {
      Map<String, String> values = new HashMap<>();
      values.put("bootstrap.servers", cluster.bootstrapServers());
      values.put("sources.kill.kind", "public_web");
      values.put("sources.kill.licence", "CC0-1.0");
      values.put("ingest.commit.records", "100");
      Settings settings = new Settings(dir.resolve("work"), null, Map.of(), values);
      try (Admin admin = Admin.create(settings.kafka().admin(Map.of()))) {
        new dev.refinery.infra.TopicProvisioner(admin).provision(Topics.fixed());
      }
      List<Path> files = writeFiles(dir.resolve("data"));
      int port;
      try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      List<String> dedup =
          RefineryProcess.command(
              dir,
              dir.resolve("dedup-filter.log"),
              "dedup-filter",
              "--bootstrap-servers",
              cluster.bootstrapServers(),
              "--work-dir",
              dir.resolve("work").toString(),
              "-D",
              "dedup.hold.ms=300",
              "-D",
              "dedup.http.port=" + port,
              "-D",
              "dedup.state.dir=" + dir.resolve("streams"));
      Process first = start(dedup, dir.resolve("dedup-1.out"));

      AtomicReference<Throwable> failed = new AtomicReference<>();
      CountDownLatch firstFile = new CountDownLatch(1);
      CountDownLatch killed = new CountDownLatch(1);
      Thread ingest =
          new Thread(() -> ingestAll(settings, files, firstFile, killed, failed), "kill-it-ingest");
      ingest.start();
      assertThat(firstFile.await(120, TimeUnit.SECONDS)).as("first file ingested").isTrue();
      // both at once, while the next file goes in
      cluster.kill(1);
      first.destroyForcibly();
      assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
      killed.countDown();
      Thread.sleep(5_000);
      cluster.startNode(1);
      List<String> again = new ArrayList<>(dedup);
      if (elsewhere) {
        again.set(again.size() - 1, "dedup.state.dir=" + dir.resolve("streams-2"));
      }
      Process second = start(again, dir.resolve("dedup-2.out"));
      try {
        ingest.join(TimeUnit.MINUTES.toMillis(5));
        assertThat(failed.get()).as("ingest finished").isNull();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (true) {
          Map<String, Integer> decided = decided(settings);
          java.util.Set<String> raw = new java.util.HashSet<>();
          TopicSnapshot.read(settings.kafka(), Topics.CORPUS_RAW, java.time.Duration.ofSeconds(60))
              .forEach(e -> raw.add(e.value().getId()));
          assertThat(decided.values()).as("no document decided twice").allMatch(n -> n == 1);
          if (raw.size() == FILES * PER_FILE && decided.keySet().containsAll(raw)) {
            break;
          }
          assertThat(System.nanoTime())
              .as(
                  "every document decided in time: %d of %d; dedup-filter said:%n%s",
                  decided.size(), raw.size(), Files.readString(dir.resolve("dedup-2.out")))
              .isLessThan(deadline);
          assertThat(second.isAlive()).as("dedup-filter still running").isTrue();
          Thread.sleep(2_000);
        }
        java.net.http.HttpResponse<String> health =
            java.net.http.HttpClient.newHttpClient()
                .send(
                    java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + port + "/health"))
                        .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
      } finally {
        // SIGTERM: a stage stops within its bound
        second.destroy();
        assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
      }
    }
  }

  /** How many times dedup-filter decided each document: clean, or rejected by it. */
  private static Map<String, Integer> decided(Settings settings) {
    Map<String, Integer> decided = new HashMap<>();
    TopicSnapshot.read(settings.kafka(), Topics.CORPUS_CLEAN, java.time.Duration.ofSeconds(60))
        .forEach(e -> decided.merge(e.value().getId(), 1, Integer::sum));
    TopicSnapshot.read(settings.kafka(), Topics.CORPUS_REJECTED, java.time.Duration.ofSeconds(60))
        .stream()
        .filter(e -> e.value().getStage() == dev.refinery.schemas.Stage.DEDUP_FILTER)
        .forEach(e -> decided.merge(e.value().getDocId(), 1, Integer::sum));
    return decided;
  }

  private Process start(List<String> command, Path out) throws java.io.IOException {
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(out.toFile())
        .start();
  }

  /**
   * Ingests the first file, waits for the kill, then the others; a run cut short by the kill is run
   * again, resuming, as after a crash.
   */
  private static void ingestAll(
      Settings settings,
      List<Path> files,
      CountDownLatch firstFile,
      CountDownLatch killed,
      AtomicReference<Throwable> failed) {
    Throwable last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try (Ingestor ingestor =
          Ingestor.create(settings.ingest(), "refinery-ingest-kill", IngestMetrics.inMemory())) {
        for (Path file : files) {
          ingestor.ingest(file, settings.sources().get("kill"));
          firstFile.countDown();
          killed.await(120, TimeUnit.SECONDS);
        }
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failed.set(e);
        return;
      } catch (RuntimeException e) {
        last = e;
        try {
          Thread.sleep(3_000);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    failed.set(last);
  }

  /** The node that leads most partitions of the pipeline's topics. */
  private static int leaderOfMost(Admin admin) throws Exception {
    Map<Integer, Integer> led = new HashMap<>();
    for (TopicDescription d :
        admin
            .describeTopics(
                List.of(
                    Topics.CORPUS_RAW.name(),
                    Topics.CORPUS_CLEAN.name(),
                    Topics.CORPUS_REJECTED.name(),
                    Topics.tokens("web").name()))
            .allTopicNames()
            .get()
            .values()) {
      for (TopicPartitionInfo p : d.partitions()) {
        if (p.leader() != null) {
          led.merge(p.leader().id(), 1, Integer::sum);
        }
      }
    }
    return led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  private static List<Path> writeFiles(Path folder) throws Exception {
    Files.createDirectories(folder);
    ObjectMapper json = new ObjectMapper();
    List<Path> files = new ArrayList<>();
    for (int f = 0; f < FILES; f++) {
      StringBuilder lines = new StringBuilder();
      for (int i = 0; i < PER_FILE; i++) {
        int n = f * PER_FILE + i;
        lines
            .append(
                json.writeValueAsString(
                    Map.of("id", "k-" + n, "text", SyntheticText.text(9000 + n, 4))))
            .append('\n');
      }
      Path file = folder.resolve("part-" + f + ".jsonl");
      Files.writeString(file, lines);
      files.add(file);
    }
    return files;
  }
}
