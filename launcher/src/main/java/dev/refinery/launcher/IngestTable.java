package dev.refinery.launcher;

import dev.refinery.ingest.IngestReport;
import dev.refinery.ingest.Ingestor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** How the CLI ingests files in the foreground: a progress line, a table row per file, a total. */
final class IngestTable {
  private IngestTable() {}

  /** Ingests the inputs in order with a progress line, a line per file, then the total. */
  static List<IngestReport> ingestAll(
      Ingestor ingestor, List<Ingestor.Input> inputs, PrintWriter out, PrintWriter progress) {
    long total = inputs.stream().mapToLong(i -> size(i.file())).sum();
    ProgressBar bar = new ProgressBar(progress, System.console() != null, inputs.size(), total);
    List<IngestReport> reports = new ArrayList<>();
    out.printf(
        "%-32s %-12s %9s %9s %8s %8s %10s %7s%n",
        "file", "source", "records", "documents", "rejected", "skipped", "MB", "s");
    for (int i = 0; i < inputs.size(); i++) {
      Ingestor.Input input = inputs.get(i);
      bar.start(i + 1);
      IngestReport r = ingestor.ingest(input, bar);
      bar.finished(size(input.file()), r);
      reports.add(r);
      String note = note(r);
      out.printf(
          "%-32s %-12s %9d %9d %8d %8d %10.2f %7.2f%s%n",
          shorten(input.label()),
          r.source(),
          r.records(),
          r.documents(),
          r.rejectedTotal(),
          r.skipped(),
          r.bytes() / 1e6,
          r.took().toMillis() / 1e3,
          note);
      out.flush();
    }
    IngestReport sum = IngestReport.sum("total", reports);
    out.printf(
        "%-32s %-12s %9d %9d %8d %8d %10.2f %7.2f%n",
        "total",
        "",
        sum.records(),
        sum.documents(),
        sum.rejectedTotal(),
        sum.skipped(),
        sum.bytes() / 1e6,
        sum.took().toMillis() / 1e3);
    long unchanged =
        reports.stream().filter(r -> r.outcome() == IngestReport.Outcome.UNCHANGED).count();
    long refused =
        reports.stream().filter(r -> r.outcome() == IngestReport.Outcome.REFUSED).count();
    if (unchanged > 0) {
      out.println(
          unchanged + " file(s) unchanged since they were ingested (same SHA-256): not sent again");
    }
    if (refused > 0) {
      out.println(refused + " file(s) refused, not read (the reason is on ingest.progress.v1)");
    }
    if (sum.rejectedTotal() > 0) {
      out.println(
          "rejected at ingest (on corpus.rejected.v1 with reason, file and position): "
              + counts(sum.rejected()));
    }
    long imagesRefused = sum.imagesRejected().values().stream().mapToLong(Long::longValue).sum();
    if (sum.images() > 0 || imagesRefused > 0) {
      out.println(
          "images: "
              + sum.images()
              + " in the documents (their bytes once each on corpus.images.v1)"
              + (imagesRefused == 0
                  ? ""
                  : ", "
                      + imagesRefused
                      + " refused, their documents going on without them: "
                      + counts(sum.imagesRejected())));
    }
    out.flush();
    return reports;
  }

  /** What the table says of a file beside its counts. */
  static String note(IngestReport r) {
    return switch (r.outcome()) {
      case UNCHANGED -> "  (unchanged since ingested: not sent again)";
      case REFUSED -> "  (refused: " + r.reason() + ")";
      case RESUMED -> "  (resumed after " + r.resumedAt() + " records)";
      case INGESTED -> r.reason() != null ? "  (" + r.reason() + ")" : "";
    };
  }

  /**
   * The exit status of an ingest: {@link Refinery#REJECTED} if a record was rejected or a file
   * refused, {@link Refinery#SKIPPED} if files were unchanged and not sent again, else 0.
   */
  static int exitStatus(List<IngestReport> reports) {
    if (reports.stream()
        .anyMatch(r -> r.rejectedTotal() > 0 || r.outcome() == IngestReport.Outcome.REFUSED)) {
      return Refinery.REJECTED;
    }
    return reports.stream().anyMatch(r -> r.outcome() == IngestReport.Outcome.UNCHANGED)
        ? Refinery.SKIPPED
        : 0;
  }

  /** Counts by reason, largest first: {@code MALFORMED_JSON 5, EMPTY_TEXT 2}. */
  static String counts(Map<String, Long> byReason) {
    StringBuilder b = new StringBuilder();
    byReason.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(
            e ->
                b.append(b.length() == 0 ? "" : ", ")
                    .append(e.getKey())
                    .append(' ')
                    .append(e.getValue()));
    return b.toString();
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }

  private static String shorten(String label) {
    return label.length() <= 32 ? label : "…" + label.substring(label.length() - 31);
  }
}
