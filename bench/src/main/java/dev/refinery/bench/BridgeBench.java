package dev.refinery.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.bridge.BridgeConfig;
import dev.refinery.bridge.BridgeServer;
import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.TokenDType;
import dev.refinery.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Tokens per second the trainer-bridge delivers to one Python rank on loopback, and the share of a
 * simulated training loop (fixed step time) spent waiting for data. Batches are GPT-sized: 8 rows
 * of 2,048 uint32 ids (64 KiB), written to an embedded broker beforehand as the tokenizer writes
 * them; the Python rank (bench/python/bridge_bench.py, standard library, numpy if present) reads
 * them through the bridge as a trainer would.
 */
public final class BridgeBench {
  private BridgeBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    Path work = Path.of(options.getOrDefault("work-dir", ".refinery/bench"));
    int batches = Integer.parseInt(options.getOrDefault("batches", "3000"));
    int steps = Integer.parseInt(options.getOrDefault("steps", "100"));
    double stepMs = Double.parseDouble(options.getOrDefault("step-ms", "100"));
    String transport = options.getOrDefault("transport", "tcp");
    Path home = Path.of(System.getProperty("refinery.home", "."));
    Path run = work.resolve("bridge-" + System.nanoTime());
    Files.createDirectories(run);
    int seqLen = 2048;
    int rows = 8;
    System.out.printf(
        Locale.ROOT,
        "batches: %d rows x %d uint32 ids (%d KiB); %,d for throughput, %d steps of %.0f ms for the loop%n",
        rows,
        seqLen,
        rows * seqLen * 4 / 1024,
        batches,
        steps,
        stepMs);

    EmbeddedKafka kafka = EmbeddedKafka.startEphemeral(run.resolve("kafka"));
    try {
      String bootstrap = kafka.bootstrapServers();
      BenchKafka.provision(bootstrap, "bench");
      int total = batches + 20 + steps + 1 + 64;
      long t0 = System.nanoTime();
      produce(bootstrap, total, rows, seqLen);
      System.out.printf(
          Locale.ROOT,
          "  wrote %,d batches to tokens.bench.v1 in %.1f s%n",
          total,
          (System.nanoTime() - t0) / 1e9);

      try (BridgeServer server =
          BridgeServer.start(
              new BridgeConfig(
                  Map.of(
                      "bootstrap.servers",
                      bootstrap,
                      BridgeConfig.STREAMS,
                      "bench",
                      BridgeConfig.PORT,
                      0,
                      BridgeConfig.SOCKET,
                      run.resolve("bridge.sock").toString(),
                      BridgeConfig.HTTP_PORT,
                      -1)))) {
        String address =
            transport.equals("unix") ? "unix:" + server.socket() : "127.0.0.1:" + server.port();
        Process p =
            new ProcessBuilder(
                    "python3",
                    options.getOrDefault(
                        "client", home.resolve("bench/python/bridge_bench.py").toString()),
                    home.resolve("trainer-bridge/python").toString(),
                    address,
                    "bench",
                    Integer.toString(batches),
                    Integer.toString(steps),
                    Double.toString(stepMs))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
          throw new IllegalStateException("the Python rank failed: " + output);
        }
        JsonNode r = new ObjectMapper().readTree(output.lines().reduce((a, b) -> b).orElseThrow());
        double tokensPerSecond = r.get("tokens").asDouble() / r.get("seconds").asDouble();
        double waitFraction = r.get("wait").asDouble() / r.get("loop").asDouble();
        System.out.printf(
            Locale.ROOT, "%nPython rank over %s (%s views)%n", transport, r.get("view").asText());
        System.out.printf(
            Locale.ROOT,
            "  delivered: %,.0f tokens/s (%.0f MB/s)   goal >= 20,000,000 tokens/s%n",
            tokensPerSecond,
            tokensPerSecond * 4 / 1e6);
        if (r.has("torch_tokens")) {
          System.out.printf(
              Locale.ROOT,
              "  into torch (TokenBatchDataset: input_ids, labels, loss_mask, position_ids, cu_seqlens): %,.0f tokens/s%n",
              r.get("torch_tokens").asDouble() / r.get("torch_seconds").asDouble());
          System.out.printf(
              Locale.ROOT,
              "  collate alone: %.2f ms a batch of %d x %d (%d spans)%n",
              r.get("collate_ms").asDouble(),
              rows,
              seqLen,
              r.get("collate_spans").asInt());
        } else {
          System.out.printf(Locale.ROOT, "  into torch: not measured (no torch for python3)%n");
        }
        System.out.printf(
            Locale.ROOT,
            "  training loop, %d steps of %.0f ms: waited %.1f ms in all, data-wait fraction %.4f (%.2f %%)   goal < 1 %%%n",
            steps,
            stepMs,
            r.get("wait").asDouble() * 1000,
            waitFraction,
            waitFraction * 100);
      }
    } finally {
      kafka.close();
      BenchKafka.deleteRecursively(run);
    }
  }

  private static void produce(String bootstrap, int count, int rows, int seqLen) {
    Source source = BenchKafka.source("bench", "bench");
    SplittableRandom random = new SplittableRandom(1);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "bench-bridge",
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Topics.LARGE_MESSAGE_BYTES,
                ProducerConfig.LINGER_MS_CONFIG,
                5),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < count; i++) {
        int[] ids = new int[rows * seqLen];
        for (int j = 0; j < ids.length; j++) {
          ids[j] = random.nextInt(100_000);
        }
        // documents of web-like lengths (a few hundred tokens) packed one after another, as the
        // tokenizer's concat packing writes them: what the client's collate works from
        List<DocumentSpan> spans = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
          int at = 0;
          while (at < seqLen) {
            int length = Math.min(seqLen - at, 50 + random.nextInt(700));
            spans.add(
                DocumentSpan.newBuilder()
                    .setDocId("doc-" + i + "-" + r + "-" + at)
                    .setSource(source)
                    .setSequence(r)
                    .setOffset(at)
                    .setLength(length)
                    .setDocOffset(0)
                    .setDocTokens(length)
                    .build());
            at += length;
          }
        }
        TokenBatch b =
            TokenBatch.newBuilder()
                .setBatchId(dev.refinery.schemas.Keys.batch("bench", i))
                .setStream("bench")
                .setBatchIndex(i)
                .setTokenizer("cl100k_base")
                .setDtype(TokenDType.UINT32)
                .setSeqLen(seqLen)
                .setNumSequences(rows)
                .setTokens(TokenBytes.encode(ids, 0, ids.length, TokenDType.UINT32))
                .setPadToken(100257)
                .setPadding(0)
                .setSpans(spans)
                .setCreatedAt(Instant.now())
                .build();
        producer.send(
            new ProducerRecord<>(
                Topics.tokens("bench").name(),
                b.getBatchId(),
                Topics.tokens("bench").serialize(b)));
        if (i % 500 == 499) {
          producer.commitTransaction();
          producer.beginTransaction();
        }
      }
      producer.commitTransaction();
    }
  }
}
