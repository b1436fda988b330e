package dev.refinery.ingest;

import dev.refinery.ingest.JsonlFormat.Accepted;
import dev.refinery.ingest.JsonlFormat.Parsed;
import dev.refinery.ingest.JsonlFormat.Rejected;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads JSONL and JSONL.gz files of a declared source and writes each record to {@code
 * corpus.raw.v1} as a {@link Document}, or to {@code corpus.rejected.v1} with the reason it was
 * refused. A bad record never stops the file; a cut .gz file ends with one {@code TRUNCATED_INPUT}
 * rejection after the records that could be read.
 *
 * <p>The producer is idempotent ({@code enable.idempotence}, {@code acks=all}): retries after a
 * broker hiccup never duplicate a record, and doc ids are stable, so re-ingesting a file yields the
 * same ids.
 */
public final class Ingestor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Ingestor.class);

  private final IngestConfig config;
  private final Producer<String, byte[]> producer;
  private final Clock clock;
  private final JsonlFormat format;

  /** An ingestor on a producer the caller made (tests pass their own). */
  public Ingestor(IngestConfig config, Producer<String, byte[]> producer, Clock clock) {
    this.config = config;
    this.producer = producer;
    this.clock = clock;
    this.format = new JsonlFormat(config);
  }

  /** An ingestor with its own idempotent producer on {@code bootstrap.servers}. */
  public static Ingestor create(IngestConfig config) {
    return new Ingestor(
        config,
        new KafkaProducer<>(
            producerConfig(config), new StringSerializer(), new ByteArraySerializer()),
        Clock.systemUTC());
  }

  /** The producer settings ingest runs with. */
  public static Map<String, Object> producerConfig(IngestConfig config) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, config.clientId());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.LARGE_MESSAGE_BYTES);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    return p;
  }

  /**
   * Ingests one file; {@code .gz} files are decompressed.
   *
   * @throws IngestException if the file cannot be opened, or Kafka did not take every record
   */
  public IngestReport ingest(Path file, SourceDeclaration source) {
    if (!Files.isRegularFile(file)) {
      throw new IngestException(
          (Files.exists(file) ? "not a regular file: " : "no such file: ") + file, null);
    }
    return new Run(file, source).call();
  }

  /** One file's ingest: its counters and the first failure Kafka reported. */
  private final class Run {
    private final Path file;
    private final String name;
    private final SourceDeclaration source;
    private final long started = System.nanoTime();
    private final Map<String, Long> rejected = new HashMap<>();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private long documents;

    Run(Path file, SourceDeclaration source) {
      this.file = file;
      this.name = file.getFileName().toString();
      this.source = source;
    }

    IngestReport call() {
      InputStream in;
      try {
        in = open(file);
      } catch (IOException e) {
        // Not the format its name says (a .gz that is not gzip): one rejection for the whole file.
        reject(format.corrupt(head(), size(), name, source, clock.instant(), e));
        LOG.warn("{}: cannot decode ({}); rejected as a whole", file, e.toString());
        return finish(0);
      }
      try (LineReader lines = new LineReader(in, config.maxDocumentBytes())) {
        try {
          for (LineReader.Line line = lines.next(); line != null; line = lines.next()) {
            if (!isBlank(line.bytes())) {
              accept(format.parse(line, name + ":" + line.number(), source, clock.instant()));
            }
          }
        } catch (IOException e) {
          // A cut or corrupt compressed file: keep what was read, record where it broke, go on.
          reject(
              format.truncated(
                  lines.partialLine(), name + "@" + lines.offset(), source, clock.instant(), e));
          LOG.warn(
              "{}: input ends early after {} bytes ({}); the records before were ingested",
              file,
              lines.offset(),
              e.toString());
        }
        return finish(lines.offset());
      } catch (IOException e) {
        throw new IngestException("cannot read " + file + ": " + e.getMessage(), e);
      }
    }

    private void accept(Parsed parsed) {
      if (parsed instanceof Accepted a) {
        send(
            Topics.CORPUS_RAW.name(),
            a.document().getId(),
            Topics.CORPUS_RAW.serialize(a.document()));
        documents++;
      } else if (parsed instanceof Rejected r) {
        reject(r.rejection());
      }
    }

    private void reject(RejectedDocument rejection) {
      send(
          Topics.CORPUS_REJECTED.name(),
          rejection.getDocId(),
          Topics.CORPUS_REJECTED.serialize(rejection));
      rejected.merge(rejection.getReason(), 1L, Long::sum);
    }

    private void send(String topic, String key, byte[] value) {
      try {
        producer.send(
            new ProducerRecord<>(topic, key, value),
            (metadata, e) -> {
              if (e != null) {
                failure.compareAndSet(null, e);
              }
            });
      } catch (KafkaException e) {
        throw kafkaFailure(e);
      }
    }

    private IngestReport finish(long bytes) {
      try {
        producer.flush();
      } catch (KafkaException e) {
        throw kafkaFailure(e);
      }
      if (failure.get() != null) {
        throw kafkaFailure(failure.get());
      }
      return new IngestReport(
          file.toString(),
          source.name(),
          documents,
          rejected,
          bytes,
          Duration.ofNanos(System.nanoTime() - started));
    }

    private IngestException kafkaFailure(Exception e) {
      return new IngestException(
          "Kafka did not accept every record of "
              + file
              + ": "
              + e
              + ". Is the broker at "
              + config.bootstrapServers()
              + " up? Ingesting the file again is safe: "
              + "doc ids are stable and duplicates are dropped downstream.",
          e);
    }

    private byte[] head() {
      try (InputStream in = Files.newInputStream(file)) {
        return in.readNBytes(config.rejectedMaxBytes());
      } catch (IOException e) {
        return new byte[0];
      }
    }

    private long size() {
      try {
        return Files.size(file);
      } catch (IOException e) {
        return -1;
      }
    }
  }

  private static InputStream open(Path file) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
    try {
      return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz")
          ? new GZIPInputStream(in, 64 * 1024)
          : in;
    } catch (IOException e) {
      in.close();
      throw e;
    }
  }

  private static boolean isBlank(byte[] bytes) {
    for (byte b : bytes) {
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    producer.close();
  }
}
