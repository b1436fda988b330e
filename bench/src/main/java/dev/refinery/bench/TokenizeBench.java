package dev.refinery.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.Topics;
import dev.refinery.tokenizer.Tokenizer;
import dev.refinery.tokenizer.TokenizerConfig;
import dev.refinery.tokenizer.TokenizerJob;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The tokenizer stage's throughput on the same text as baselines measured in the same run: raw
 * jtokkit ({@code encodeOrdinary} in a loop on one thread, the goal's yardstick), the stage's own
 * encoder ({@code Tokenizer.encode}, the same loop) and npm tiktoken (OpenAI's Rust core built to
 * WASM, one thread, through Node). The stage is the Flink job at each parallelism asked for (slots:
 * decode and tokenize, pack, the transactional sink) on a MiniCluster, draining a backlog on
 * corpus.clean.v1 of the embedded broker: {@code --warmup-mb} of the same passages under other ids
 * first, not counted, then the measured texts, timed between 10 % and 90 % of their tokens written
 * ({@link #drain}), with where the cores went in that time, then checked committed. Each encoder is
 * timed at the fastest of four passes after one more, before the stage runs and again after it, and
 * its yardstick is the faster of the two; each run of the stage is a job of its own on a new
 * MiniCluster.
 */
public final class TokenizeBench {
  private TokenizeBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    Path work = Path.of(options.getOrDefault("work-dir", ".refinery/bench"));
    long targetBytes = Long.parseLong(options.getOrDefault("mb", "96")) << 20;
    // 768 MB: about 20 s of a job here. After 192 MB (6 s) the JIT still took 0.5 to 0.68 of a core
    // through the measured seconds and the stage went 6.6 to 7.7 M tokens/s at parallelism 1;
    // after 768 MB it took 0.06 to 0.29 and the stage went 9.7 to 10.5 M (0.94 to 1.07 of jtokkit)
    long warmupBytes = Long.parseLong(options.getOrDefault("warmup-mb", "768")) << 20;
    String encoding = options.getOrDefault("encoding", "cl100k_base");
    // tokenizing threads of each slot (tokenizer.tokenize.threads), one job for each value at each
    // parallelism, in the order given: the stage's default unless set
    List<Integer> threadCounts = new ArrayList<>();
    for (String t : options.getOrDefault("tokenize-threads", "").split(",")) {
      threadCounts.add(
          new TokenizerConfig(
                  t.isBlank() ? Map.of() : Map.of(TokenizerConfig.TOKENIZE_THREADS, t.trim()))
              .tokenizeThreads());
    }
    Path run = work.resolve("tokenize-" + System.nanoTime());
    Files.createDirectories(run);

    BenchTexts.Passages passages = BenchTexts.load(150);
    List<String> texts = new ArrayList<>();
    long bytes = 0;
    while (bytes < targetBytes) {
      for (String t : passages.texts()) {
        texts.add(t);
        bytes += t.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    System.out.printf(
        Locale.ROOT,
        "text: %s, cycled to %,d documents, %.1f MB; encoding %s%n",
        passages.origin(),
        texts.size(),
        bytes / 1e6,
        encoding);
    // what each job drains first, not counted: the same passages under other ids
    List<String> warmupTexts = new ArrayList<>();
    for (long b = 0; b < warmupBytes; ) {
      for (String t : passages.texts()) {
        warmupTexts.add(t);
        b += t.getBytes(StandardCharsets.UTF_8).length;
      }
    }

    // 1. raw jtokkit, one thread, and the stage's Tokenizer.encode (Refinery's own encoder for
    // cl100k_base): the fastest of four passes over the texts each, after a first that must give
    // the same number of tokens. jtokkit needs two passes of 32 MB before the JIT has it at full
    // speed (9.7 to 13.5 MB/s in the first two, 30 to 35 after, on this machine).
    com.knuddels.jtokkit.api.Encoding jtokkit =
        com.knuddels.jtokkit.Encodings.newDefaultEncodingRegistry()
            .getEncoding(encoding)
            .orElseThrow();
    Tokenizer tokenizer = Tokenizer.forName(encoding);
    long tokens = 0;
    long ownTokens = 0;
    for (String t : texts) {
      tokens += jtokkit.encodeOrdinary(t).size();
      ownTokens += tokenizer.encode(t).length;
    }
    if (ownTokens != tokens) {
      throw new IllegalStateException(
          "Tokenizer.encode gave " + ownTokens + " tokens, jtokkit " + tokens);
    }
    double rawBefore = fastestPass(texts, t -> jtokkit.encodeOrdinary(t).size());
    System.out.printf(Locale.ROOT, "  jtokkit, one thread:        %.1f s%n", rawBefore);
    double ownBefore = fastestPass(texts, t -> tokenizer.encode(t).length);
    System.out.printf(Locale.ROOT, "  Tokenizer.encode, one thread: %.1f s%n", ownBefore);

    // 2. npm tiktoken, one thread
    double[] tiktoken = tiktoken(texts, encoding, run);

    // 3. the stage, at each parallelism asked for (slots of the one MiniCluster)
    List<Integer> parallelisms = new ArrayList<>();
    for (String p : options.getOrDefault("parallelism", "1,2").split(",")) {
      parallelisms.add(Integer.parseInt(p.trim()));
    }
    // one broker for every job: the texts are produced once, and each job reads them all under a
    // group of its own, the warm-up texts first. A warm-up job of its own changed nothing, the JIT
    // still compiling at 0.4 to 0.5 of a core through the measured jobs after it (each MiniCluster
    // loads Flink's RPC system, pekko, and the job's classes in class loaders of their own), so
    // each job is warmed by what it drains first, as a stage that runs for days is warm. The
    // warm-up texts are the passages' own String objects again: 768 MB of them costs references
    // whole passes over the passages: their tokens once, times the passes (encoding 768 MB again
    // took 10 s of the bench's start)
    long passTokens = 0;
    for (String t : passages.texts()) {
      passTokens += tokenizer.encode(t).length;
    }
    long warmupTokens = passTokens * (warmupTexts.size() / passages.texts().size());
    List<StageRun> stage = new ArrayList<>();
    EmbeddedKafka kafka = EmbeddedKafka.startEphemeral(run.resolve("kafka"));
    try {
      String bootstrap = kafka.bootstrapServers();
      BenchKafka.provision(bootstrap, "web");
      produce(bootstrap, warmupTexts, "warm-");
      produce(bootstrap, texts, "doc-");
      for (int parallelism : parallelisms) {
        for (int threads : threadCounts) {
          StageRun r =
              new StageRun(
                  parallelism,
                  threads,
                  stageRun(
                      bootstrap,
                      run,
                      "stage-" + stage.size(),
                      encoding,
                      parallelism,
                      threads,
                      warmupTokens,
                      tokens));
          stage.add(r);
          System.out.printf(Locale.ROOT, "  %s: %.1f s%n", r.name(), r.seconds());
        }
      }
    } finally {
      kafka.close();
    }
    BenchKafka.deleteRecursively(run);
    // the encoders again, after the stage, and the faster of the two timings is the yardstick:
    // jtokkit's fastest of four passes was 17.5, 31.2 and 45.0 MB/s in three runs on one machine
    // (the stage 38.1, 32.7 and 31.9), so a ratio against one timing of it moved by 2.5 times
    double rawAfter = fastestPass(texts, t -> jtokkit.encodeOrdinary(t).size());
    System.out.printf(Locale.ROOT, "  jtokkit, one thread, after the stage: %.1f s%n", rawAfter);
    double ownAfter = fastestPass(texts, t -> tokenizer.encode(t).length);
    System.out.printf(
        Locale.ROOT, "  Tokenizer.encode, one thread, after the stage: %.1f s%n", ownAfter);
    double rawSeconds = Math.min(rawBefore, rawAfter);
    double ownSeconds = Math.min(ownBefore, ownAfter);
    double mb = bytes / 1e6;
    System.out.printf(Locale.ROOT, "%n%-48s %10s %12s%n", "", "MB/s", "tokens/s");
    System.out.printf(
        Locale.ROOT,
        "%-48s %10.1f %,12.0f%n",
        "jtokkit encodeOrdinary, one thread",
        mb / rawSeconds,
        tokens / rawSeconds);
    System.out.printf(
        Locale.ROOT,
        "%-48s %10.1f %,12.0f%n",
        "Tokenizer.encode (the stage's), one thread",
        mb / ownSeconds,
        tokens / ownSeconds);
    System.out.printf(
        Locale.ROOT,
        "  (each the faster of its timings before the stage and after it: jtokkit %.1f and %.1f MB/s,"
            + " Tokenizer.encode %.1f and %.1f)%n",
        mb / rawBefore,
        mb / rawAfter,
        mb / ownBefore,
        mb / ownAfter);
    if (tiktoken != null) {
      System.out.printf(
          Locale.ROOT,
          "%-48s %10.1f %,12.0f%n",
          "npm tiktoken encode_ordinary, one thread",
          tiktoken[0] / 1e6 / tiktoken[2],
          tiktoken[1] / tiktoken[2]);
    }
    for (StageRun r : stage) {
      System.out.printf(
          Locale.ROOT, "%-48s %10.1f %,12.0f%n", r.name(), mb / r.seconds(), tokens / r.seconds());
    }
    System.out.println();
    for (StageRun r : stage) {
      System.out.printf(
          Locale.ROOT,
          "stage / jtokkit at parallelism %d%s:  %.2f (goal >= 0.8)%n",
          r.parallelism(),
          r.threadsNote(threadCounts.size()),
          rawSeconds / r.seconds());
      if (tiktoken != null) {
        System.out.printf(
            Locale.ROOT,
            "stage / tiktoken at parallelism %d%s: %.2f (goal >= 5)%n",
            r.parallelism(),
            r.threadsNote(threadCounts.size()),
            (mb / r.seconds()) / (tiktoken[0] / 1e6 / tiktoken[2]));
      }
    }
  }

  /** One job of the stage: its slots, its tokenizing threads a slot, and its seconds. */
  private record StageRun(int parallelism, int threads, double seconds) {
    String name() {
      return "tokenizer stage, "
          + parallelism
          + " slot(s), "
          + (threads == 1 ? "on the task thread" : threads + " tokenizing threads");
    }

    /** Which threads, where the run tried more than one setting. */
    String threadsNote(int settings) {
      return settings == 1 ? "" : threads == 1 ? " (task thread)" : " (" + threads + " threads)";
    }
  }

  /** The seconds of the fastest of four passes of an encoder over the texts. */
  private static double fastestPass(
      List<String> texts, java.util.function.ToIntFunction<String> encoder) {
    double fastest = Double.MAX_VALUE;
    for (int pass = 0; pass < 4; pass++) {
      long t0 = System.nanoTime();
      long tokens = 0;
      for (String t : texts) {
        tokens += encoder.applyAsInt(t);
      }
      fastest = Math.min(fastest, (System.nanoTime() - t0) / 1e9);
      if (tokens == 0) {
        throw new IllegalStateException("no tokens"); // and the loop is not dead code
      }
    }
    return fastest;
  }

  /**
   * The seconds a tokenizer job of its own (group, transactional ids, checkpoints: {@code name})
   * takes to drain corpus.clean.v1 (see {@link #drain}): the tokens it writes after those already
   * on the token topic, the first {@code warmupTokens} of them not counted.
   */
  private static double stageRun(
      String bootstrap,
      Path run,
      String name,
      String encoding,
      int parallelism,
      int tokenizeThreads,
      long warmupTokens,
      long tokens)
      throws Exception {
    TokenizerConfig config =
        new TokenizerConfig(
            Map.ofEntries(
                Map.entry("bootstrap.servers", bootstrap),
                Map.entry(TokenizerConfig.ENCODING, encoding),
                Map.entry(TokenizerConfig.STREAMS, "web"),
                Map.entry(TokenizerConfig.GROUP_ID, "bench-tokenize-" + name),
                Map.entry(TokenizerConfig.TRANSACTIONAL_ID_PREFIX, "bench-tokenize-" + name),
                Map.entry(TokenizerConfig.CHECKPOINT_INTERVAL_MS, 1000),
                Map.entry(TokenizerConfig.FLUSH_IDLE_MS, 500),
                Map.entry(
                    TokenizerConfig.CHECKPOINT_DIR, run.resolve("checkpoints-" + name).toString()),
                Map.entry(TokenizerConfig.METRICS_PORT, -1),
                Map.entry(TokenizerConfig.PARALLELISM, parallelism),
                Map.entry(TokenizerConfig.TOKENIZE_THREADS, tokenizeThreads)));
    try (KafkaConsumer<String, byte[]> written = tokenConsumer(bootstrap, "read_uncommitted");
        KafkaConsumer<String, byte[]> committed = tokenConsumer(bootstrap, "read_committed")) {
      JobClient job = TokenizerJob.onKafka(config).startLocal();
      try {
        double seconds = drain(written, warmupTokens, tokens);
        awaitCommitted(committed, written, warmupTokens + tokens);
        return seconds;
      } finally {
        job.cancel().get(30, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * A consumer of the token topic at its end, at an isolation level: read_uncommitted sees batches
   * as the sink writes them, read_committed as each checkpoint commits them.
   */
  private static KafkaConsumer<String, byte[]> tokenConsumer(String bootstrap, String isolation) {
    KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            KafkaClients.of(bootstrap)
                .consumer(
                    Map.of(
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        isolation,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.CLIENT_ID_CONFIG,
                        "bench-tokenize-" + isolation,
                        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                        Topics.LARGE_MESSAGE_BYTES)),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    consumer
        .partitionsFor(Topics.tokens("web").name())
        .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position); // the end now, before the job writes
    return consumer;
  }

  /**
   * Waits until every token the stage wrote is committed: the committed consumer reads as many
   * tokens as were written (the job commits them at its next checkpoints).
   */
  private static void awaitCommitted(
      KafkaConsumer<String, byte[]> committed, KafkaConsumer<String, byte[]> written, long total) {
    long seen = 0;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (seen < total) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the stage wrote every token but committed only " + seen + " of " + total);
      }
      seen += tokensIn(committed.poll(Duration.ofMillis(50)));
    }
    if (tokensIn(written.poll(Duration.ofMillis(200))) > 0) {
      throw new IllegalStateException("the stage wrote more tokens than its input has");
    }
  }

  private static long tokensIn(Iterable<ConsumerRecord<String, byte[]>> records) {
    long tokens = 0;
    for (ConsumerRecord<String, byte[]> r : records) {
      for (DocumentSpan s : Topics.tokens("web").deserialize(r.value()).getSpans()) {
        tokens += s.getLength();
      }
    }
    return tokens;
  }

  /**
   * Runs the Node baseline on the same texts; null (with a note) where Node or tiktoken is missing.
   */
  private static double[] tiktoken(List<String> texts, String encoding, Path run) throws Exception {
    Path script =
        Path.of(System.getProperty("refinery.bench.node", "bench/node"), "tiktoken-bench.mjs");
    if (!Files.exists(script.resolveSibling("node_modules").resolve("tiktoken"))) {
      System.out.println("  npm tiktoken: not installed; run: npm ci --prefix bench/node");
      return null;
    }
    Path file = run.resolve("texts.jsonl");
    ObjectMapper json = new ObjectMapper();
    try (BufferedWriter out = Files.newBufferedWriter(file)) {
      for (String t : texts) {
        out.write(json.writeValueAsString(Map.of("text", t)));
        out.write('\n');
      }
    }
    Process node =
        new ProcessBuilder("node", script.toString(), file.toString(), encoding, "10")
            .redirectErrorStream(true)
            .start();
    String output =
        new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (node.waitFor() != 0) {
      System.out.println("  npm tiktoken failed: " + output);
      return null;
    }
    JsonNode result = json.readTree(output.substring(output.lastIndexOf('\n') + 1));
    double[] r = {
      result.get("bytes").asDouble(),
      result.get("tokens").asDouble(),
      result.get("seconds").asDouble()
    };
    System.out.printf(Locale.ROOT, "  npm tiktoken, one thread:   %.1f s%n", r[2]);
    return r;
  }

  private static void produce(String bootstrap, List<String> texts, String idPrefix) {
    Source source = BenchKafka.source("bench-web", "web");
    try (KafkaProducer<String, byte[]> producer = BenchKafka.producer(bootstrap)) {
      for (int i = 0; i < texts.size(); i++) {
        Document doc =
            Document.newBuilder()
                .setId(DocumentIds.of("bench-web", idPrefix + i))
                .setSource(source)
                .setNativeId(idPrefix + i)
                .setIngestedAt(Instant.parse("2026-11-22T00:00:00Z"))
                .setText(texts.get(i))
                .build();
        producer.send(
            new ProducerRecord<>(
                Topics.CORPUS_CLEAN.name(), doc.getId(), Topics.CORPUS_CLEAN.serialize(doc)));
      }
      producer.flush();
    }
  }

  /**
   * Seconds per token of the steady state, times the measured total: the job first drains {@code
   * warmup} tokens' worth of documents, not counted, then is timed between the batches that bring
   * the measured tokens written past 10 % and past 90 % of theirs, so that neither the job's start
   * and warm-up (the JIT compiling its classes, loaded anew for each job) nor its end is counted;
   * where the cores went is printed for that time. Written, not committed: batches become visible
   * to read_committed at checkpoints (every second here), which would count the stage's work a
   * second at a time; {@link #awaitCommitted} checks after that all of it was committed.
   */
  private static double drain(KafkaConsumer<String, byte[]> consumer, long warmup, long total) {
    long seen = 0;
    long at10 = 0;
    long seenAt10 = 0;
    long at50 = 0;
    long seenAt50 = 0;
    long at90 = 0;
    long seenAt90 = 0;
    CpuSplit cpu = null;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    long lastPrint = System.nanoTime();
    while (seen < warmup + total) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the stage did not finish in 10 minutes: " + seen + " of " + (warmup + total));
      }
      seen += tokensIn(consumer.poll(Duration.ofMillis(20)));
      if (at10 == 0 && seen >= warmup + total / 10) {
        at10 = System.nanoTime();
        seenAt10 = seen;
        cpu = CpuSplit.start();
      }
      if (at50 == 0 && seen >= warmup + total / 2) {
        at50 = System.nanoTime();
        seenAt50 = seen;
      }
      if (at90 == 0 && seen >= warmup + total * 9 / 10) {
        at90 = System.nanoTime();
        seenAt90 = seen;
        cpu.print("  ");
      }
      if (System.nanoTime() - lastPrint > 5_000_000_000L) {
        System.out.printf(
            Locale.ROOT,
            "  tokenizer stage: %,d of %,d tokens (the first %,d a warm-up)%n",
            seen,
            warmup + total,
            warmup);
        lastPrint = System.nanoTime();
      }
    }
    double whole = (seenAt90 - seenAt10) / ((at90 - at10) / 1e9);
    System.out.printf(
        Locale.ROOT,
        "  tokens/s from 10 %% to 90 %% of the measured: %,.0f; from 50 %% to 90 %%: %,.0f%n",
        whole,
        (seenAt90 - seenAt50) / ((at90 - at50) / 1e9));
    return total / whole;
  }
}
