package dev.refinery.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.ingest.IngestConfig;
import dev.refinery.ingest.IngestServer;
import dev.refinery.ingest.SourceRegistry;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pushes per second through ingest's HTTP endpoint ({@code POST /v1/sources/{source}/documents}) on
 * loopback, from {@code --clients} concurrent senders of {@code --docs} NDJSON documents a push
 * (about 2 KB each), for each count of producers in {@code --writers} (a fresh service each, in the
 * same run, on the same broker). Every push is parsed, encoded and committed in a Kafka transaction
 * of its own before it is answered, so pushes are bound by the transactions' round trips where they
 * take turns on one producer.
 *
 * <p>{@code --bootstrap-servers} runs it against a cluster of one's own (topics provisioned as
 * {@code refinery topics} does), whose round trips are those a lab's pushes meet.
 */
public final class IngestHttpBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "bench-token-0123456789abcdef";

  private IngestHttpBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    Path work = Path.of(options.getOrDefault("work-dir", ".refinery/bench"));
    int pushes = Integer.parseInt(options.getOrDefault("pushes", "3000"));
    int clients = Integer.parseInt(options.getOrDefault("clients", "16"));
    int docs = Integer.parseInt(options.getOrDefault("docs", "10"));
    List<Integer> writerCounts =
        Arrays.stream(options.getOrDefault("writers", "1,2,4,8").split(","))
            .map(String::trim)
            .map(Integer::parseInt)
            .toList();
    Path run = work.resolve("ingest-http-" + System.nanoTime());
    Files.createDirectories(run);
    EmbeddedKafka kafka = null;
    String bootstrap = options.get("bootstrap-servers");
    try {
      if (bootstrap == null) {
        kafka = EmbeddedKafka.startEphemeral(run.resolve("kafka"));
        bootstrap = kafka.bootstrapServers();
        System.out.printf("broker: embedded KRaft on %s%n", bootstrap);
      }
      BenchKafka.provision(bootstrap);
      System.out.printf(
          Locale.ROOT,
          "%,d pushes of %d documents (about 2 KB each) from %d senders on loopback, NDJSON%n",
          pushes,
          docs,
          clients);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      List<Result> results = new ArrayList<>();
      for (int writers : writerCounts) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrap);
        settings.put(IngestConfig.HTTP_PORT, 0);
        settings.put(IngestConfig.HTTP_WRITERS, writers);
        settings.put(IngestConfig.TRANSACTIONAL_ID, "bench-ingest-http-" + writers);
        settings.put(IngestConfig.TOKEN_PREFIX + "bench", "documents:" + TOKEN);
        SourceRegistry sources =
            SourceRegistry.fromConfig(
                Map.of(
                    "sources.bench-push.kind", "public_web",
                    "sources.bench-push.licence", "CC-BY-4.0",
                    "sources.bench-push.stream", "main"));
        try (IngestServer server =
            IngestServer.start(new IngestConfig(settings), sources, IngestServer.prometheus())) {
          String url = "http://localhost:" + server.port() + "/v1/sources/bench-push/documents";
          // warm-up: the JIT, connections, the producers' first transactions
          push(http, url, Math.max(clients * 4, pushes / 4), clients, docs, "warm-" + writers);
          Result r = push(http, url, pushes, clients, docs, "w" + writers);
          results.add(r);
          System.out.printf(
              Locale.ROOT,
              "  %2d writers: %,8.0f pushes/s  %,8.0f documents/s  %6.1f MB/s   p50 %6.2f ms   p99 %6.2f ms%n",
              writers,
              r.pushesPerSecond(),
              r.pushesPerSecond() * docs,
              r.mbPerSecond(),
              r.p50Ms(),
              r.p99Ms());
        }
      }
      System.out.printf(
          Locale.ROOT, "%n%-12s %10s %10s %10s%n", "writers", "pushes/s", "p99 ms", "ratio");
      for (int i = 0; i < results.size(); i++) {
        Result r = results.get(i);
        System.out.printf(
            Locale.ROOT,
            "%-12d %10.0f %10.2f %10.2f%n",
            writerCounts.get(i),
            r.pushesPerSecond(),
            r.p99Ms(),
            r.pushesPerSecond() / results.get(0).pushesPerSecond());
      }
      System.out.println("(ratio: pushes/s over the first row's, in this run)");
    } finally {
      if (kafka != null) {
        kafka.close();
      }
      BenchKafka.deleteRecursively(run);
    }
  }

  private record Result(double pushesPerSecond, double mbPerSecond, double p50Ms, double p99Ms) {}

  private static Result push(
      HttpClient http, String url, int pushes, int clients, int docs, String prefix)
      throws Exception {
    AtomicLong bytes = new AtomicLong();
    ConcurrentCalls.Timing t =
        ConcurrentCalls.run(
            pushes,
            clients,
            p -> {
              byte[] body = body(prefix, p, docs);
              bytes.addAndGet(body.length);
              HttpRequest request =
                  HttpRequest.newBuilder(URI.create(url))
                      .header("Authorization", "Bearer " + TOKEN)
                      .header("Content-Type", "application/x-ndjson")
                      .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                      .build();
              return () -> {
                HttpResponse<String> response =
                    http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                  throw new IllegalStateException(
                      "push answered " + response.statusCode() + ": " + response.body());
                }
              };
            });
    return new Result(pushes / t.seconds(), bytes.get() / 1e6 / t.seconds(), t.p50Ms(), t.p99Ms());
  }

  private static final String[] WORDS =
      ("the of and to in a is that for it as was with be by on not he this are or his from at "
              + "which but have an they you were her she there been one all we their has would "
              + "when who will more no if out so said what up its about into than them can only "
              + "other new some could time these two may then do first any my now such like our")
          .split(" ");

  /** A push: {@code docs} documents of about 2 KB each, distinct in every push. */
  private static byte[] body(String prefix, int push, int docs) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream(docs * 2200);
    SplittableRandom random = new SplittableRandom(push * 31L + prefix.hashCode());
    for (int d = 0; d < docs; d++) {
      StringBuilder text = new StringBuilder(2100);
      while (text.length() < 2000) {
        text.append(WORDS[random.nextInt(WORDS.length)])
            .append(random.nextInt(8) == 0 ? ". " : " ");
      }
      ObjectNode doc =
          JSON.createObjectNode()
              .put("id", prefix + "-" + push + "-" + d)
              .put("url", "https://example.org/" + prefix + "/" + push + "/" + d)
              .put("text", text.toString());
      out.write(JSON.writeValueAsBytes(doc));
      out.write('\n');
    }
    return out.toByteArray();
  }
}
