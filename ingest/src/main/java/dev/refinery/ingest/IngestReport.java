package dev.refinery.ingest;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * What ingesting one input did.
 *
 * @param input the file (or request) read
 * @param source the declared source its documents belong to
 * @param documents documents written to {@code corpus.raw.v1}
 * @param rejected rejections written to {@code corpus.rejected.v1}, by reason
 * @param skipped records that hold no document (WARC requests, images)
 * @param bytes input bytes read (decompressed)
 * @param resumedAt input records a previous, interrupted run had already committed
 * @param outcome what was done with the input
 * @param reason why it was refused, or read again from its start; {@code null} otherwise
 * @param took wall time
 * @param images images referenced by the documents written (their bytes on {@code
 *     corpus.images.v1})
 * @param imagesRejected images refused while their documents went on, by reason
 */
public record IngestReport(
    String input,
    String source,
    long documents,
    Map<String, Long> rejected,
    long skipped,
    long bytes,
    long resumedAt,
    Outcome outcome,
    String reason,
    Duration took,
    long images,
    Map<String, Long> imagesRejected) {

  /** What ingest did with an input file; each one is recorded on {@code ingest.progress.v1}. */
  public enum Outcome {
    /** Read from its start: new, or changed since it was last ingested. */
    INGESTED,
    /** Read after the records an interrupted run had committed. */
    RESUMED,
    /** Ingested before with the same SHA-256: nothing was sent. */
    UNCHANGED,
    /** Not read: missing, not a regular file, unreadable, or of no format ingest reads. */
    REFUSED
  }

  public IngestReport {
    rejected = Map.copyOf(new TreeMap<>(rejected));
    imagesRejected = Map.copyOf(new TreeMap<>(imagesRejected));
  }

  /** Whether the input was not read this time: unchanged since last time, or refused. */
  public boolean notRead() {
    return outcome == Outcome.UNCHANGED || outcome == Outcome.REFUSED;
  }

  public long rejectedTotal() {
    return rejected.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Records read in this run: every one became a document, a rejection, or was skipped. */
  public long records() {
    return documents + rejectedTotal() + skipped;
  }

  /** The sum of several reports. */
  public static IngestReport sum(String label, Iterable<IngestReport> reports) {
    long documents = 0;
    long skipped = 0;
    long bytes = 0;
    long resumed = 0;
    Duration took = Duration.ZERO;
    Map<String, Long> rejected = new TreeMap<>();
    long images = 0;
    Map<String, Long> imagesRejected = new TreeMap<>();
    for (IngestReport r : reports) {
      images += r.images;
      r.imagesRejected.forEach((reason, n) -> imagesRejected.merge(reason, n, Long::sum));
      documents += r.documents;
      skipped += r.skipped;
      bytes += r.bytes;
      resumed += r.resumedAt;
      took = took.plus(r.took);
      r.rejected.forEach((reason, n) -> rejected.merge(reason, n, Long::sum));
    }
    return new IngestReport(
        label,
        "*",
        documents,
        rejected,
        skipped,
        bytes,
        resumed,
        Outcome.INGESTED,
        null,
        took,
        images,
        imagesRejected);
  }
}
