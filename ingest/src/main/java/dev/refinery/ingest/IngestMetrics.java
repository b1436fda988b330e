package dev.refinery.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Ingest's Prometheus metrics, counted when a transaction commits (what is counted is downstream):
 * {@code refinery_ingest_documents_total}, {@code refinery_ingest_bytes_total}, {@code
 * refinery_ingest_rejected_total} (by reason), {@code refinery_ingest_skipped_total}, {@code
 * refinery_ingest_files_total} (by outcome), all tagged with the source.
 */
public final class IngestMetrics {
  private final MeterRegistry registry;

  public IngestMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Metrics kept in memory only (command-line runs). */
  public static IngestMetrics inMemory() {
    return new IngestMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  void committed(String source, long documents, long bytes, long skipped) {
    counter("refinery.ingest.documents", "Documents written to corpus.raw.v1", source)
        .increment(documents);
    counter("refinery.ingest.bytes", "Input bytes read (decompressed)", source).increment(bytes);
    counter("refinery.ingest.skipped", "Input records that hold no document", source)
        .increment(skipped);
  }

  void rejected(String source, String reason, long count) {
    Counter.builder("refinery.ingest.rejected")
        .description("Input records rejected to corpus.rejected.v1")
        .tag("source", source)
        .tag("reason", reason)
        .register(registry)
        .increment(count);
  }

  void file(String source, String outcome) {
    Counter.builder("refinery.ingest.files")
        .description("Input files, by outcome (ingested, resumed, unchanged, refused, failed)")
        .tag("source", source)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /**
   * The HTTP endpoint's writers: how many there are, how many are writing a batch now, and how long
   * pushes waited for a free one (all busy: more writers, {@code ingest.http.writers}, would help).
   *
   * @return the timer of the waits
   */
  Timer httpWriters(BatchWriter writer) {
    Gauge.builder("refinery.ingest.http.writers", writer::size)
        .description("Kafka producers the HTTP endpoint writes pushed batches with")
        .register(registry);
    Gauge.builder("refinery.ingest.http.writers.busy", writer::busy)
        .description("Those writing a pushed batch now")
        .register(registry);
    FunctionCounter.builder("refinery.ingest.http.writer.fenced", writer, BatchWriter::fenced)
        .description(
            "Pushes that found their writer's transactional id taken by another producer (another"
                + " ingest process with the same ingest.transactional.id)")
        .register(registry);
    return Timer.builder("refinery.ingest.http.writer.wait")
        .description("How long a push waited for a free writer")
        .register(registry);
  }

  private Counter counter(String name, String description, String source) {
    return Counter.builder(name).description(description).tag("source", source).register(registry);
  }
}
