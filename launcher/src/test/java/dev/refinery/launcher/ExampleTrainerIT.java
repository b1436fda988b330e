package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.bridge.BridgeConfig;
import dev.refinery.bridge.BridgeServer;
import dev.refinery.console.ConsoleConfig;
import dev.refinery.console.ConsoleServer;
import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.Licence;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.Topics;
import dev.refinery.tokenizer.TokenizerConfig;
import dev.refinery.tokenizer.TokenizerJob;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example trainer ({@code trainer-bridge/python/examples/train_gpt.py}) on CPU, where a python3
 * with torch is installed (Debian's {@code python3-torch}): documents tokenized by the real job, a
 * small GPT trained from the bridge with document masking. Its loss goes down; a run of two ranks
 * (gloo) killed with SIGKILL after a checkpoint and resumed on one rank reads the same batches,
 * item for item, as an uninterrupted run; and the console counts each run's tokens once.
 */
class ExampleTrainerIT {
  @RegisterExtension
  static final KafkaFixture kafka = KafkaFixture.withStreams("main", "preference");

  static final Pattern STEP =
      Pattern.compile(
          "step (\\d+) rank (\\d+) item (\\d+) batch (\\S+) loss ([0-9.]+) tokens (\\d+)");
  static final int STEPS = 40;

  @TempDir Path dir;

  /** Step lines of a trainer's output. */
  record Step(long step, int rank, long item, String batch, double loss, long tokens) {}

  @Test
  void theExampleTrainerLearnsResumesOnAnotherWorldSizeAndIsCountedOnce() throws Exception {
    String python = pythonWithTorch();
    Assumptions.assumeTrue(python != null, "a python3 with torch is installed");
    Path script = Path.of("../trainer-bridge/python/examples/train_gpt.py").toAbsolutePath();
    Assumptions.assumeTrue(Files.exists(script), "the example is beside the module");

    List<TokenBatch> batches = tokenize();
    BridgeServer bridge =
        BridgeServer.start(
            new BridgeConfig(
                Map.of(
                    "bootstrap.servers",
                    kafka.bootstrapServers(),
                    BridgeConfig.PORT,
                    0,
                    BridgeConfig.HTTP_PORT,
                    -1,
                    BridgeConfig.STREAMS,
                    "main")));
    ConsoleServer console =
        ConsoleServer.start(
            new ConsoleConfig(
                Map.of(
                    "bootstrap.servers",
                    kafka.bootstrapServers(),
                    ConsoleConfig.HTTP_PORT,
                    0,
                    ConsoleConfig.REFRESH_MS,
                    300,
                    ConsoleConfig.TOKEN_PREFIX + "test",
                    "read:a-console-token-for-the-test")));
    try {
      String address = "127.0.0.1:" + bridge.port();

      // uninterrupted, one rank
      List<Step> straight =
          run(python, script, address, "straight", dir.resolve("straight"), 1, STEPS, -1);
      assertThat(straight).hasSize(STEPS);
      double first =
          straight.subList(0, 5).stream().mapToDouble(Step::loss).average().orElseThrow();
      double last =
          straight.subList(STEPS - 5, STEPS).stream()
              .mapToDouble(Step::loss)
              .average()
              .orElseThrow();
      assertThat(last)
          .as("the loss goes down (first five %s, last five %s)", first, last)
          .isLessThan(first - 2.0);

      // two ranks, checkpoint every 5 steps, killed after step 12 (items to 25; checkpoint at 10)
      Path resumed = dir.resolve("resumed");
      List<Step> killed = run(python, script, address, "resumed", resumed, 2, STEPS, 12);
      assertThat(killed.stream().mapToLong(Step::step).max().orElseThrow())
          .isGreaterThanOrEqualTo(12);
      // then one rank from the checkpoint (step 10 = item 20), to item 39 as the straight run
      List<Step> after = run(python, script, address, "resumed", resumed, 1, STEPS - 10, -1);
      System.out.printf(
          "the straight run: loss %.4f at step 0, %.4f at step %d%n",
          straight.get(0).loss(), straight.get(STEPS - 1).loss(), STEPS - 1);

      Map<Long, String> byItem = new TreeMap<>();
      killed.stream().filter(s -> s.item() < 20).forEach(s -> byItem.put(s.item(), s.batch()));
      after.forEach(s -> byItem.put(s.item(), s.batch()));
      Map<Long, String> expected = new TreeMap<>();
      straight.forEach(s -> expected.put(s.item(), s.batch()));
      assertThat(after.get(0).item())
          .as("the resumed run starts where the checkpoint was")
          .isEqualTo(20);
      assertThat(byItem).isEqualTo(expected);

      // the run's tokens, counted once: the inputs of items 0..39 less their padding
      long tokens = 0;
      for (TokenBatch b : batches.subList(0, STEPS)) {
        tokens += (long) b.getNumSequences() * b.getSeqLen() - b.getPadding();
      }
      assertThat(straight.get(STEPS - 1).tokens()).isEqualTo(tokens);
      assertThat(after.get(after.size() - 1).tokens()).isEqualTo(tokens);
      awaitConsole(console, Map.of("straight", tokens, "resumed", tokens));
    } finally {
      console.close();
      bridge.close();
    }
  }

  /** A python3 on the path, or Debian's, that imports torch; null where none does. */
  static String pythonWithTorch() throws InterruptedException {
    for (String candidate : List.of("python3", "/usr/bin/python3")) {
      try {
        Process p =
            new ProcessBuilder(candidate, "-c", "import torch").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return candidate;
        }
      } catch (IOException e) {
        // not installed
      }
    }
    return null;
  }

  /**
   * Template sentences, one short document each, through the real tokenizer job into batches of 2
   * rows of 32 tokens (the example's output layer spans cl100k's 100k ids: small batches keep it
   * quick on CPU); returns the batches in stream order once enough are there.
   */
  private List<TokenBatch> tokenize() throws Exception {
    Source source =
        Source.newBuilder()
            .setName("templates")
            .setKind(SourceKind.SYNTHETIC)
            .setLicence(Licence.newBuilder().setSpdxId("CC0-1.0").build())
            .setStream("main")
            .build();
    String[] subjects = {"The cat", "A dog", "My neighbour", "The old sailor", "Every child"};
    String[] verbs = {"sees", "likes", "finds", "paints", "follows"};
    String[] objects = {"the red boat", "a small bird", "the green hill", "an open door"};
    Random random = new Random(7);
    JobClient job =
        TokenizerJob.onKafka(
                new TokenizerConfig(
                    Map.of(
                        "bootstrap.servers",
                        kafka.bootstrapServers(),
                        TokenizerConfig.STREAMS,
                        "main",
                        TokenizerConfig.SEQ_LEN,
                        32,
                        TokenizerConfig.BATCH_SEQUENCES,
                        2,
                        TokenizerConfig.CHECKPOINT_INTERVAL_MS,
                        500,
                        TokenizerConfig.CHECKPOINT_DIR,
                        dir.resolve("flink").toString())))
            .startLocal();
    try {
      try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
        for (int i = 0; i < 900; i++) {
          StringBuilder text = new StringBuilder();
          for (int k = 0; k < 1 + random.nextInt(3); k++) {
            text.append(subjects[random.nextInt(subjects.length)])
                .append(' ')
                .append(verbs[random.nextInt(verbs.length)])
                .append(' ')
                .append(objects[random.nextInt(objects.length)])
                .append(". ");
          }
          Document doc =
              Document.newBuilder()
                  .setId("doc-" + i)
                  .setSource(source)
                  .setText(text.toString().trim())
                  .setIngestedAt(Instant.ofEpochMilli(1_700_000_000_000L))
                  .build();
          producer.send(
              new ProducerRecord<>(
                  Topics.CORPUS_CLEAN.name(), doc.getId(), Topics.CORPUS_CLEAN.serialize(doc)));
        }
      }
      List<TokenBatch> batches =
          kafka.await(Topics.tokens("main"), l -> l.size() >= STEPS + 10, Duration.ofSeconds(120));
      return batches.stream().sorted(Comparator.comparing(TokenBatch::getBatchIndex)).toList();
    } finally {
      job.cancel().get();
    }
  }

  /**
   * The trainer on {@code world} ranks (torchrun's environment, gloo); with {@code killAfter} >= 0
   * every rank is killed with SIGKILL once a rank has printed that step.
   */
  private List<Step> run(
      String python,
      Path script,
      String address,
      String runId,
      Path checkpoints,
      int world,
      int steps,
      int killAfter)
      throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<Process> ranks = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    for (int rank = 0; rank < world; rank++) {
      Path log = dir.resolve(runId + "-w" + world + "-r" + rank + "-" + System.nanoTime() + ".log");
      ProcessBuilder pb =
          new ProcessBuilder(
                  python,
                  script.toString(),
                  "--bridge",
                  address,
                  "--run-id",
                  runId,
                  "--streams",
                  "main=1",
                  "--steps",
                  Integer.toString(steps),
                  "--checkpoint-dir",
                  checkpoints.toString(),
                  "--checkpoint-every",
                  "5",
                  "--device",
                  "cpu")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      Map<String, String> env = pb.environment();
      env.put("PYTHONPATH", script.getParent().getParent().toString());
      env.put("RANK", Integer.toString(rank));
      env.put("LOCAL_RANK", Integer.toString(rank));
      env.put("WORLD_SIZE", Integer.toString(world));
      env.put("MASTER_ADDR", "127.0.0.1");
      env.put("MASTER_PORT", Integer.toString(port));
      env.put("OMP_NUM_THREADS", "1");
      ranks.add(pb.start());
      logs.add(log);
    }
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
    while (ranks.stream().anyMatch(Process::isAlive)) {
      if (killAfter >= 0 && steps(logs).stream().anyMatch(s -> s.step() >= killAfter)) {
        ranks.forEach(Process::destroyForcibly); // SIGKILL: no cleanup, no last checkpoint
        for (Process p : ranks) {
          p.waitFor();
        }
        break;
      }
      assertThat(System.nanoTime()).as("the trainer finishes; %s", tail(logs)).isLessThan(deadline);
      Thread.sleep(100);
    }
    if (killAfter < 0) {
      for (Process p : ranks) {
        assertThat(p.exitValue()).as(tail(logs)).isZero();
      }
    }
    for (Path log : logs) {
      System.out.println(log.getFileName() + ":");
      Files.readAllLines(log).stream().limit(3).forEach(l -> System.out.println("  " + l));
    }
    return steps(logs);
  }

  private static List<Step> steps(List<Path> logs) throws IOException {
    List<Step> out = new ArrayList<>();
    for (Path log : logs) {
      if (!Files.exists(log)) {
        continue;
      }
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(Files.newInputStream(log), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          Matcher m = STEP.matcher(line);
          if (m.matches()) {
            out.add(
                new Step(
                    Long.parseLong(m.group(1)),
                    Integer.parseInt(m.group(2)),
                    Long.parseLong(m.group(3)),
                    m.group(4),
                    Double.parseDouble(m.group(5)),
                    Long.parseLong(m.group(6))));
          }
        }
      }
    }
    return out;
  }

  private static String tail(List<Path> logs) {
    StringBuilder out = new StringBuilder();
    for (Path log : logs) {
      try {
        List<String> lines = Files.readAllLines(log);
        out.append(log.getFileName())
            .append(":\n")
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())))
            .append('\n');
      } catch (IOException e) {
        out.append(log).append(": ").append(e).append('\n');
      }
    }
    return out.toString();
  }

  private static void awaitConsole(ConsoleServer console, Map<String, Long> want) throws Exception {
    ObjectMapper json = new ObjectMapper();
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Map<String, Long> seen = new TreeMap<>();
    while (true) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + console.port() + "/api/snapshot"))
                  .header("Authorization", "Bearer a-console-token-for-the-test")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      seen.clear();
      for (JsonNode run : json.readTree(r.body()).path("runs")) {
        seen.put(run.get("run").asText(), run.get("tokens").asLong());
      }
      if (seen.equals(want)) {
        return;
      }
      assertThat(System.nanoTime())
          .as("the console shows %s, the runs read %s", seen, want)
          .isLessThan(deadline);
      Thread.sleep(300);
    }
  }
}
