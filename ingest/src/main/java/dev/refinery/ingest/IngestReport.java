package dev.refinery.ingest;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * What ingesting one input did.
 *
 * @param input the file (or other input) read
 * @param source the declared source its documents belong to
 * @param documents documents written to {@code corpus.raw.v1}
 * @param rejected rejections written to {@code corpus.rejected.v1}, by reason
 * @param bytes input bytes read (decompressed)
 * @param took wall time
 */
public record IngestReport(
    String input,
    String source,
    long documents,
    Map<String, Long> rejected,
    long bytes,
    Duration took) {

  public IngestReport {
    rejected = Map.copyOf(new TreeMap<>(rejected));
  }

  public long rejectedTotal() {
    return rejected.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Records read: every one became a document or a rejection. */
  public long records() {
    return documents + rejectedTotal();
  }

  /** The sum of several reports. */
  public static IngestReport sum(String label, Iterable<IngestReport> reports) {
    long documents = 0;
    long bytes = 0;
    Duration took = Duration.ZERO;
    Map<String, Long> rejected = new TreeMap<>();
    for (IngestReport r : reports) {
      documents += r.documents;
      bytes += r.bytes;
      took = took.plus(r.took);
      r.rejected.forEach((reason, n) -> rejected.merge(reason, n, Long::sum));
    }
    return new IngestReport(label, "*", documents, rejected, bytes, took);
  }
}
