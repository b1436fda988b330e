package dev.refinery.bench;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.infra.TopicProvisioner;
import dev.refinery.ingest.IngestConfig;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.IngestReport;
import dev.refinery.ingest.Ingestor;
import dev.refinery.ingest.SourceDeclaration;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Ingest throughput against a raw Kafka producer, in one run, on the same broker and the same
 * bytes.
 *
 * <p>It writes a JSONL.gz corpus of web-like documents (kept between runs), then, after a warm-up
 * of both, (1) a plain idempotent producer reads the file, decompresses it and sends each line as a
 * record; (2) ingest reads the same file into corpus.raw.v1: decompression, JSON parsing, UTF-8
 * checks, stable ids, Avro encoding, and Kafka transactions with progress. Both figures are MB/s of
 * decompressed JSONL; the ratio is ingest over raw.
 */
public final class IngestBench {
  private IngestBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    Path work = Path.of(options.getOrDefault("work-dir", ".refinery/bench"));
    long sizeMb = Long.parseLong(options.getOrDefault("size-mb", "256"));
    Files.createDirectories(work);
    Path corpus = work.resolve("corpus-" + sizeMb + "mb.jsonl.gz");
    if (!Files.exists(corpus)) {
      long t = System.nanoTime();
      System.out.printf("writing a %d MB JSONL corpus to %s ...%n", sizeMb, corpus);
      Path partial = work.resolve(corpus.getFileName() + ".tmp");
      write(partial, sizeMb << 20);
      Files.move(partial, corpus);
      System.out.printf("  done in %.1f s%n", (System.nanoTime() - t) / 1e9);
    }
    long plainBytes = plainSize(corpus);
    System.out.printf(
        "corpus: %s, %.1f MB JSONL (%.1f MB gzipped)%n",
        corpus.getFileName(), plainBytes / 1e6, Files.size(corpus) / 1e6);

    EmbeddedKafka kafka = null;
    String bootstrap = options.get("bootstrap-servers");
    if (bootstrap == null) {
      Path data = work.resolve("kafka-" + System.nanoTime());
      kafka = EmbeddedKafka.startEphemeral(data);
      bootstrap = kafka.bootstrapServers();
      System.out.printf("broker: embedded KRaft on %s%n", bootstrap);
    }
    try {
      TopicBinding<String, ?> rawTopic =
          Topics.CORPUS_RAW.withRetention(java.time.Duration.ofHours(1));
      String scratch = "bench.raw.v1";
      try (Admin admin =
          Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        List<TopicBinding<?, ?>> topics = new ArrayList<>(Topics.fixed());
        topics.add(
            new TopicBinding<>(
                scratch,
                rawTopic.keySerde(),
                rawTopic.valueSerde(),
                rawTopic.partitions(),
                rawTopic.cleanup(),
                rawTopic.retention(),
                rawTopic.maxMessageBytes()));
        new TopicProvisioner(admin).provision(topics);
      }
      IngestConfig config = new IngestConfig(Map.of("bootstrap.servers", bootstrap));

      System.out.println("warm-up ...");
      Path warm = work.resolve("warm-up.jsonl.gz");
      write(warm, 32L << 20);
      raw(bootstrap, scratch, warm);
      ingest(config, warm, "bench-warm-up");

      int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
      double[] rawRuns = new double[rounds];
      double[] ingestRuns = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        // alternate, so both see the same machine: the broker shares these cores
        rawRuns[round] = raw(bootstrap, scratch, corpus);
        ingestRuns[round] = ingest(config, corpus, "bench-" + round + "-" + System.nanoTime());
        System.out.printf(
            Locale.ROOT,
            "  round %d: raw %.1f MB/s, ingest %.1f MB/s%n",
            round + 1,
            plainBytes / 1e6 / rawRuns[round],
            plainBytes / 1e6 / ingestRuns[round]);
      }
      double rawSeconds = median(rawRuns);
      double ingestSeconds = median(ingestRuns);
      double rawMbs = plainBytes / 1e6 / rawSeconds;
      double ingestMbs = plainBytes / 1e6 / ingestSeconds;
      System.out.printf(Locale.ROOT, "%nmedian of %d rounds%n", rounds);
      System.out.printf(
          Locale.ROOT,
          "%-44s %8.1f MB/s  (%.1f s)%n",
          "raw Kafka producer (decompress, send lines)",
          rawMbs,
          rawSeconds);
      System.out.printf(
          Locale.ROOT,
          "%-44s %8.1f MB/s  (%.1f s)%n",
          "refinery ingest (JSONL.gz to corpus.raw.v1)",
          ingestMbs,
          ingestSeconds);
      System.out.printf(
          Locale.ROOT,
          "%-44s %8.2f   (target >= 0.60)%n",
          "ratio ingest / raw",
          ingestMbs / rawMbs);
    } finally {
      if (kafka != null) {
        kafka.close();
      }
    }
  }

  /** Seconds a plain idempotent producer takes to send every line of the file, acknowledged. */
  static double raw(String bootstrap, String topic, Path file) throws IOException {
    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true,
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.COMPRESSION_TYPE_CONFIG,
            "lz4",
            ProducerConfig.LINGER_MS_CONFIG,
            10,
            ProducerConfig.BATCH_SIZE_CONFIG,
            512 * 1024,
            ProducerConfig.BUFFER_MEMORY_CONFIG,
            128L * 1024 * 1024,
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
            Topics.LARGE_MESSAGE_BYTES);
    long started = System.nanoTime();
    try (KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        InputStream in =
            new BufferedInputStream(
                new GZIPInputStream(Files.newInputStream(file), 1 << 16), 1 << 16)) {
      ByteArrayOutputStream line = new ByteArrayOutputStream(8192);
      long n = 0;
      int b;
      byte[] buffer = new byte[1 << 16];
      int read;
      while ((read = in.read(buffer)) > 0) {
        int start = 0;
        for (int i = 0; i < read; i++) {
          if (buffer[i] == '\n') {
            line.write(buffer, start, i - start);
            producer.send(new ProducerRecord<>(topic, Long.toString(n++), line.toByteArray()));
            line.reset();
            start = i + 1;
          }
        }
        line.write(buffer, start, read - start);
      }
      producer.flush();
    }
    return (System.nanoTime() - started) / 1e9;
  }

  /** Seconds ingest takes to read the file into corpus.raw.v1, committed. */
  static double ingest(IngestConfig config, Path file, String sourceName) {
    SourceDeclaration source =
        new SourceDeclaration(sourceName, SourceKind.PUBLIC_WEB, "CC0-1.0", null, null, "main");
    long started = System.nanoTime();
    try (Ingestor ingestor =
        Ingestor.create(config, "bench-" + sourceName, IngestMetrics.inMemory())) {
      IngestReport report = ingestor.ingest(file, source);
      if (report.rejectedTotal() > 0 || report.documents() == 0) {
        throw new IllegalStateException("the benchmark corpus should ingest cleanly: " + report);
      }
    }
    return (System.nanoTime() - started) / 1e9;
  }

  /**
   * Web-like documents of 50-1,500 words from a 5,000-word Zipfian vocabulary, to {@code bytes}.
   */
  static void write(Path file, long bytes) throws IOException {
    SplittableRandom random = new SplittableRandom(2026);
    String[] vocabulary = new String[5000];
    for (int i = 0; i < vocabulary.length; i++) {
      StringBuilder w = new StringBuilder();
      int length = 2 + random.nextInt(9);
      for (int c = 0; c < length; c++) {
        w.append((char) ('a' + random.nextInt(26)));
      }
      vocabulary[i] = w.toString();
    }
    ObjectMapper json = new ObjectMapper();
    json.getFactory().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    long written = 0;
    int doc = 0;
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file), 1 << 16)) {
      while (written < bytes) {
        int words = 50 + random.nextInt(1450);
        StringBuilder text = new StringBuilder(words * 7);
        for (int w = 0; w < words; w++) {
          int rank =
              (int)
                  Math.min(
                      vocabulary.length - 1,
                      Math.floor(Math.pow(random.nextDouble(), 3) * vocabulary.length));
          text.append(vocabulary[rank]).append(w % 17 == 16 ? ".\n" : " ");
        }
        Map<String, Object> record =
            Map.of(
                "id",
                "bench-" + doc,
                "text",
                text.toString(),
                "url",
                "https://bench.example/" + doc,
                "created",
                "2026-01-01T00:00:00Z",
                "metadata",
                Map.of("language", "en", "length", words));
        byte[] line = json.writeValueAsBytes(record);
        out.write(line);
        out.write('\n');
        written += line.length + 1;
        doc++;
      }
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static long plainSize(Path gz) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz), 1 << 16)) {
      return in.transferTo(OutputStream.nullOutputStream());
    }
  }
}
