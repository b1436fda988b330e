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
 * @param alreadyDone the whole file had been ingested before: nothing was sent
 * @param took wall time
 */
public record IngestReport(
    String input,
    String source,
    long documents,
    Map<String, Long> rejected,
    long skipped,
    long bytes,
    long resumedAt,
    boolean alreadyDone,
    Duration took) {

  public IngestReport {
    rejected = Map.copyOf(new TreeMap<>(rejected));
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
    for (IngestReport r : reports) {
      documents += r.documents;
      skipped += r.skipped;
      bytes += r.bytes;
      resumed += r.resumedAt;
      took = took.plus(r.took);
      r.rejected.forEach((reason, n) -> rejected.merge(reason, n, Long::sum));
    }
    return new IngestReport(label, "*", documents, rejected, skipped, bytes, resumed, false, took);
  }
}
