package dev.refinery.ingest;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.IngestProgress;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads input files of a declared source (JSONL, text, WARC/WET; plain, .gz or .zst) and writes
 * each record to {@code corpus.raw.v1} as a {@link Document}, or to {@code corpus.rejected.v1} with
 * the reason it was refused. A bad record never stops a file.
 *
 * <p><b>Exactly once across crashes.</b> Records go out in Kafka transactions of {@code
 * ingest.commit.records} records (or bytes, or time), and each transaction also writes how far the
 * file got to {@code ingest.progress.v1}. A run killed mid-file leaves an open transaction, which
 * the next run with the same transactional id aborts; the next run then skips the records the last
 * committed progress counts and goes on. Readers use {@code read_committed}, so every record of the
 * file is seen once. A file already done is not read again.
 */
public final class Ingestor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Ingestor.class);
  private static final int LISTENER_EVERY = 1000;

  private final IngestConfig config;
  private final Producer<String, byte[]> producer;
  private final ProgressStore progress;
  private final IngestMetrics metrics;
  private final Clock clock;

  /**
   * The images sent by this process, by SHA-256, so that one seen again is not sent again (the
   * compacted topic would keep one copy anyway); the oldest are forgotten past 100,000.
   */
  private final java.util.Set<String> sentImages =
      java.util.Collections.newSetFromMap(
          new java.util.LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
              return size() > 100_000;
            }
          });

  /**
   * An ingestor on a transactional producer the caller made; {@code initTransactions} is called
   * here.
   */
  public Ingestor(
      IngestConfig config,
      Producer<String, byte[]> producer,
      ProgressStore progress,
      IngestMetrics metrics,
      Clock clock) {
    this.config = config;
    this.producer = producer;
    this.progress = progress;
    this.metrics = metrics;
    this.clock = clock;
    try {
      producer.initTransactions();
    } catch (KafkaException e) {
      producer.close(Duration.ZERO);
      throw new IngestException(
          "cannot start a Kafka transaction on "
              + config.bootstrapServers()
              + ": "
              + e.getMessage()
              + ". Is the broker up, and are the topics provisioned (`refinery topics`)?",
          e);
    }
  }

  /**
   * An ingestor with its own transactional producer on {@code bootstrap.servers}, resuming from the
   * progress recorded on {@code ingest.progress.v1}.
   *
   * @param transactionalId used unless {@code ingest.transactional.id} is set
   */
  public static Ingestor create(
      IngestConfig config, String transactionalId, IngestMetrics metrics) {
    ProgressStore progress = ProgressStore.load(config.kafka(), Duration.ofSeconds(60));
    KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            producerConfig(config, config.transactionalId(transactionalId)),
            new StringSerializer(),
            new ByteArraySerializer());
    return new Ingestor(config, producer, progress, metrics, Clock.systemUTC());
  }

  /** What ingest gives the buffers of its producers, unless {@code kafka.producer.*} says. */
  static final long BUFFER_MEMORY_BYTES = 128L * 1024 * 1024;

  /** The producer settings ingest runs with. */
  public static Map<String, Object> producerConfig(IngestConfig config, String transactionalId) {
    return producerConfig(config, transactionalId, BUFFER_MEMORY_BYTES);
  }

  /**
   * The producer settings ingest runs with, its buffer {@code bufferMemory} bytes unless {@code
   * kafka.producer.buffer.memory} is set: a producer keeps the buffers it has filled once, up to
   * this, so producers that work side by side share what one would have.
   */
  static Map<String, Object> producerConfig(
      IngestConfig config, String transactionalId, long bufferMemory) {
    // tuning: kafka.producer.* settings of these win (a cluster's operator may want zstd, say)
    Map<String, Object> tuning = new HashMap<>();
    tuning.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    tuning.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    tuning.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    tuning.put(ProducerConfig.BUFFER_MEMORY_CONFIG, bufferMemory);
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.CLIENT_ID_CONFIG, config.clientId() + "-" + transactionalId);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.LARGE_MESSAGE_BYTES);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, config.transactionTimeoutMs());
    Map<String, Object> all = config.kafka().producer(tuning, p);
    long buffer = Long.parseLong(all.get(ProducerConfig.BUFFER_MEMORY_CONFIG).toString());
    if (buffer < Topics.LARGE_MESSAGE_BYTES) {
      // the producer would refuse every document larger than its buffer
      throw new ConfigException(
          KafkaClients.PREFIX + "producer." + ProducerConfig.BUFFER_MEMORY_CONFIG,
          buffer,
          "ingest sends documents of up to "
              + Topics.LARGE_MESSAGE_BYTES
              + " bytes: give the producer at least that");
    }
    return all;
  }

  /** One input: a file, the source its documents belong to, how to read it, and its label. */
  public record Input(Path file, SourceDeclaration source, InputFormat format, String label) {
    /** A file read by its name's format, labelled by its file name. */
    public static Input of(Path file, SourceDeclaration source) {
      return new Input(file, source, null, file.getFileName().toString());
    }
  }

  /** Ingests one file. */
  public IngestReport ingest(Path file, SourceDeclaration source) {
    return ingest(Input.of(file, source), IngestListener.NONE);
  }

  /**
   * Ingests one file, resuming where a previous run of it stopped. A file is known by its source
   * and its name (its path relative to the folder it was found in): one ingested before is read
   * again unless its SHA-256 is the same, and a copy under another name is ingested as a file of
   * its own (dedup-filter drops its documents as replays). What was done with the file, refusals
   * included, is committed on {@code ingest.progress.v1}.
   *
   * @throws IngestException if Kafka did not take the records (what was committed stands; running
   *     again resumes after it)
   */
  public IngestReport ingest(Input input, IngestListener listener) {
    return new Run(input, listener).call();
  }

  /** One file's ingest: its counters, and the transaction it has open. */
  private final class Run {
    private final Input input;
    private final String key;
    private final IngestListener listener;
    private final Rejector rejector;
    private final long started = System.nanoTime();
    private final Map<String, Long> rejected = new HashMap<>();
    private final Map<String, Long> uncommittedRejected = new HashMap<>();
    private final Map<String, Long> imagesRejected = new HashMap<>();
    private long records;
    private long documents;
    private long images;
    private long skipped;
    private long resumedAt;
    private long bytes;
    private long queuedRecords;
    private long queuedBytes;
    private long queuedDocuments;
    private long queuedSkipped;
    private volatile long committedRecords;
    private long lastCommitAt = System.nanoTime();
    private TransactionalSender sender;
    private IngestProgress prior;
    private DocumentReader reader;
    private FileHash hash;
    private IngestReport.Outcome outcome = IngestReport.Outcome.INGESTED;
    private String reason;

    Run(Input input, IngestListener listener) {
      this.input = input;
      this.key = ProgressStore.key(input.source().name(), input.label());
      this.listener = listener;
      this.rejector = new Rejector(input.source(), config, clock);
    }

    IngestReport call() {
      String source = input.source().name();
      prior = progress.get(key);
      try (TransactionalSender sending = new TransactionalSender(producer, source)) {
        sender = sending;
        InputFormat format = input.format() != null ? input.format() : InputFormat.of(input.file());
        String refusal = refusal(format);
        if (refusal == null) {
          refusal = compareWithPrior();
        }
        if (refusal != null || outcome == IngestReport.Outcome.UNCHANGED) {
          if (refusal != null) {
            outcome = IngestReport.Outcome.REFUSED;
            reason = refusal;
            LOG.warn("{}: refused: {}", input.file(), refusal);
          } else {
            LOG.info("{} is unchanged since it was ingested; not sent again", input.file());
          }
          recordNotRead();
        } else {
          try (FileHash hashing = FileHash.start(input.file())) {
            hash = hashing;
            read(format);
            commit(true);
          }
        }
        sending.finish();
        metrics.file(source, outcome.name().toLowerCase(java.util.Locale.ROOT));
        return report();
      } catch (KafkaException e) {
        metrics.file(source, "failed");
        throw kafkaFailure(e);
      } catch (IOException e) {
        throw new IngestException("cannot read " + input.file() + ": " + e.getMessage(), e);
      }
    }

    /** Why the file cannot be read at all, or {@code null}. */
    private String refusal(InputFormat format) {
      Path file = input.file();
      if (!Files.isRegularFile(file)) {
        return (Files.exists(file) ? "not a regular file: " : "no such file: ") + file;
      }
      if (!Files.isReadable(file)) {
        return "cannot read " + file + ": permission denied";
      }
      if (format == null) {
        return "cannot tell the format of "
            + file
            + ": name it .jsonl, .txt, .warc, .wet, .tar (each may end in .gz or .zst) or .parquet, or"
            + " pass"
            + " --format";
      }
      return null;
    }

    /**
     * Decides from what an earlier run recorded: unchanged (same SHA-256, done), resumed (an
     * interrupted run's committed records still at the file's start), or read from the start.
     *
     * @return why the file cannot be read, or {@code null}
     */
    private String compareWithPrior() {
      if (prior == null || (prior.getRecords() == 0 && !prior.getDone())) {
        prior = null;
        return null;
      }
      try {
        if (prior.getDone() && prior.getSha256() != null) {
          String now = FileHash.of(input.file());
          if (now.equals(prior.getSha256())) {
            outcome = IngestReport.Outcome.UNCHANGED;
            return null;
          }
          reason =
              "changed since it was ingested (SHA-256 "
                  + abbreviate(prior.getSha256())
                  + " then, "
                  + abbreviate(now)
                  + " now): read again from its start";
        } else if (!prior.getDone() && prior.getHashedSha256() != null) {
          FileHash.Prefix now = FileHash.prefix(input.file(), prior.getHashedBytes());
          if (now.bytes() == prior.getHashedBytes()
              && now.sha256().equals(prior.getHashedSha256())) {
            outcome = IngestReport.Outcome.RESUMED;
            return null;
          }
          reason =
              "changed since an interrupted run read its first "
                  + prior.getHashedBytes()
                  + " bytes: read again from its start";
        } else {
          reason = "no SHA-256 recorded for it: read again from its start";
        }
      } catch (IOException e) {
        return "cannot read " + input.file() + ": " + e.getMessage();
      }
      LOG.info("{}: {}", input.file(), reason);
      prior = null;
      return null;
    }

    /** Commits the record of a file not read this time: what was in before stays as it was. */
    private void recordNotRead() {
      IngestProgress.Builder state =
          prior != null
              ? IngestProgress.newBuilder(prior)
              : IngestProgress.newBuilder()
                  .setSource(input.source().name())
                  .setRecords(0)
                  .setBytes(0)
                  .setDocuments(0)
                  .setRejected(0)
                  .setSkipped(0)
                  .setDone(false);
      state
          .setFile(input.file().toString())
          .setFingerprint(input.label())
          .setOutcome(outcome.name())
          .setReason(reason)
          .setUpdatedAt(clock.instant());
      IngestProgress recorded = state.build();
      send(Topics.INGEST_PROGRESS.name(), key, Topics.INGEST_PROGRESS.serialize(recorded));
      sender.commit(() -> progress.committed(key, recorded));
    }

    private static String abbreviate(String sha256) {
      return sha256.substring(0, 12) + "…";
    }

    private void read(InputFormat format) {
      DocumentReader opened;
      try {
        opened = format.open(input.file(), input.label(), config, rejector);
      } catch (IOException e) {
        // not the format its name says (a .gz that is not gzip): one rejection for the whole file
        rejected(
            rejector.reject(
                RejectReason.CORRUPT_INPUT,
                "cannot decode the file: " + e,
                head(),
                size(),
                input.label()));
        LOG.warn("{}: cannot decode ({}); rejected as a whole", input.file(), e.toString());
        return;
      }

      this.reader = opened;
      try (DocumentReader reader = opened) {
        long skip = prior == null ? 0 : prior.getRecords();
        try {
          if (skip > 0) {
            // committed by an earlier run that was interrupted
            resumedAt = reader.skip(skip);
            records = resumedAt;
          }
          for (Parsed parsed = reader.next(); parsed != null; parsed = reader.next()) {
            if (resumedAt < skip) {
              // committed by an earlier run that was interrupted
              resumedAt++;
              records++;
              continue;
            }
            records++;
            accept(parsed);
            bytes = reader.bytesRead();
            if (records % LISTENER_EVERY == 0) {
              listener.progress(
                  input.label(), reader.fileBytes(), records, documents, rejectedCount());
            }
            if (dueForCommit()) {
              commit(false);
            }
          }
        } catch (Decompression.LimitExceeded e) {
          rejected(
              new Parsed.Rejected(
                  rejector
                      .rejection(
                          RejectReason.DECOMPRESSION_LIMIT,
                          e.getMessage() + "; the rest of the file is not read",
                          reader.unfinishedRecord(),
                          reader.unfinishedRecord().length,
                          reader.position())
                      .setMeasured((double) e.measured)
                      .setThreshold((double) e.threshold)
                      .build()));
          LOG.warn("{}: {}", input.file(), e.getMessage());
        } catch (IOException e) {
          // a cut or corrupt compressed file: keep what was read, record where it broke, go on
          byte[] unfinished = reader.unfinishedRecord();
          rejected(
              rejector.reject(
                  RejectReason.TRUNCATED_INPUT,
                  "input ends early, the rest of the file is unreadable: " + e,
                  unfinished,
                  unfinished.length,
                  reader.position()));
          LOG.warn(
              "{}: input ends early at {} ({}); the records before were ingested",
              input.file(),
              reader.position(),
              e.toString());
        }
        bytes = reader.bytesRead();
      } catch (IOException e) {
        throw new IngestException("cannot read " + input.file() + ": " + e.getMessage(), e);
      }
    }

    private void accept(Parsed parsed) {
      if (parsed instanceof Parsed.Accepted a) {
        a.send(this::send, sentImages);
        documents++;
        images += a.document().getImages().size();
        for (RejectedDocument refusal : a.refusedImages()) {
          imagesRejected.merge(refusal.getReason(), 1L, Long::sum);
        }
      } else if (parsed instanceof Parsed.Rejected r) {
        rejected(r);
      } else {
        skipped++;
      }
    }

    private void rejected(Parsed.Rejected r) {
      RejectedDocument rejection = r.rejection();
      send(
          Topics.CORPUS_REJECTED.name(),
          rejection.getDocId(),
          Topics.CORPUS_REJECTED.serialize(rejection));
      rejected.merge(rejection.getReason(), 1L, Long::sum);
      uncommittedRejected.merge(rejection.getReason(), 1L, Long::sum);
    }

    private void send(String topic, String key, byte[] value) {
      sender.send(topic, key, value);
    }

    private boolean dueForCommit() {
      return records - queuedRecords >= config.commitRecords()
          || bytes - queuedBytes >= config.commitBytes()
          || System.nanoTime() - lastCommitAt >= config.commitIntervalMs() * 1_000_000L;
    }

    /** Writes the file's progress in the open transaction and commits it. */
    private void commit(boolean done) {
      FileHash.Prefix hashed;
      try {
        hashed = done ? hash.whole() : hash.atLeast(reader == null ? 0 : reader.fileBytes());
      } catch (IOException e) {
        throw new IngestException("cannot read " + input.file() + ": " + e.getMessage(), e);
      }
      IngestProgress state =
          IngestProgress.newBuilder()
              .setSource(input.source().name())
              .setFile(input.file().toString())
              .setFingerprint(input.label())
              .setSha256(done ? hashed.sha256() : null)
              .setHashedBytes(hashed.bytes())
              .setHashedSha256(hashed.sha256())
              .setOutcome(done ? outcome.name() : "IN_PROGRESS")
              .setReason(reason)
              .setRecords(records)
              .setBytes(bytes)
              .setDocuments(documents + (prior == null ? 0 : prior.getDocuments()))
              .setRejected(rejectedCount() + (prior == null ? 0 : prior.getRejected()))
              .setSkipped(skipped + (prior == null ? 0 : prior.getSkipped()))
              .setDone(done)
              .setUpdatedAt(clock.instant())
              .build();
      send(Topics.INGEST_PROGRESS.name(), key, Topics.INGEST_PROGRESS.serialize(state));
      String source = input.source().name();
      long newDocuments = documents - queuedDocuments;
      long newBytes = bytes - queuedBytes;
      long newSkipped = skipped - queuedSkipped;
      Map<String, Long> newRejected = new HashMap<>(uncommittedRejected);
      long upTo = records;
      sender.commit(
          () -> {
            progress.committed(key, state);
            metrics.committed(source, newDocuments, newBytes, newSkipped);
            newRejected.forEach((reason, n) -> metrics.rejected(source, reason, n));
            committedRecords = upTo;
          });
      uncommittedRejected.clear();
      queuedRecords = records;
      queuedBytes = bytes;
      queuedDocuments = documents;
      queuedSkipped = skipped;
      lastCommitAt = System.nanoTime();
      listener.progress(
          input.label(),
          reader == null ? 0 : reader.fileBytes(),
          records,
          documents,
          rejectedCount());
    }

    private long rejectedCount() {
      return rejected.values().stream().mapToLong(Long::longValue).sum();
    }

    private IngestReport report() {
      return new IngestReport(
          input.file().toString(),
          input.source().name(),
          documents,
          rejected,
          skipped,
          bytes,
          resumedAt,
          outcome,
          reason,
          Duration.ofNanos(System.nanoTime() - started),
          images,
          imagesRejected);
    }

    private IngestException kafkaFailure(KafkaException e) {
      boolean fatal =
          e instanceof ProducerFencedException
              || e instanceof InvalidProducerEpochException
              || e instanceof AuthorizationException;
      String resume =
          "What was committed stands: "
              + committedRecords
              + " records of "
              + input.file()
              + "; running ingest again resumes after them.";
      if (fatal) {
        return new IngestException(
            "another ingest process took over this transactional id ("
                + e
                + "): run one ingest per id, or set "
                + IngestConfig.TRANSACTIONAL_ID
                + ". "
                + resume,
            e);
      }
      return new IngestException(
          "Kafka did not accept the records of "
              + input.file()
              + ": "
              + e
              + ". Is the broker at "
              + config.bootstrapServers()
              + " up? "
              + resume,
          e);
    }

    private byte[] head() {
      try (var in = Files.newInputStream(input.file())) {
        return in.readNBytes(config.rejectedMaxBytes());
      } catch (IOException e) {
        return new byte[0];
      }
    }

    private long size() {
      try {
        return Files.size(input.file());
      } catch (IOException e) {
        return -1;
      }
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
