package dev.refinery.launcher;

import dev.refinery.ingest.IngestListener;
import dev.refinery.ingest.IngestReport;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The ingest progress line: files, bytes and a bar, documents and documents per second, rejections.
 * On a terminal it is redrawn in place a few times a second; elsewhere (CI logs, pipes) a line is
 * written every five seconds.
 */
final class ProgressBar implements IngestListener {
  private static final int WIDTH = 24;

  private final PrintWriter out;
  private final boolean terminal;
  private final int files;
  private final long totalBytes;
  private final long started = System.nanoTime();
  private int file;
  private long doneBytes;
  private long doneDocuments;
  private long doneRejected;
  private long lastDrawn;

  ProgressBar(PrintWriter out, boolean terminal, int files, long totalBytes) {
    this.out = out;
    this.terminal = terminal;
    this.files = files;
    this.totalBytes = Math.max(1, totalBytes);
  }

  /** A file starts. */
  void start(int index) {
    file = index;
  }

  @Override
  public void progress(String name, long fileBytes, long records, long documents, long rejected) {
    long now = System.nanoTime();
    if (now - lastDrawn < (terminal ? 200_000_000L : 5_000_000_000L)) {
      return;
    }
    lastDrawn = now;
    draw(doneBytes + fileBytes, doneDocuments + documents, doneRejected + rejected);
  }

  /** A file is done; its size on disk is added to the bytes done. */
  void finished(long fileSize, IngestReport report) {
    doneBytes += fileSize;
    doneDocuments += report.documents();
    doneRejected += report.rejectedTotal();
    if (terminal) {
      out.print("\r" + " ".repeat(100) + "\r");
      out.flush();
    }
  }

  private void draw(long bytes, long documents, long rejected) {
    double fraction = Math.min(1.0, (double) bytes / totalBytes);
    int filled = (int) Math.round(fraction * WIDTH);
    double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
    String line =
        String.format(
            Locale.ROOT,
            "[%d/%d files] %s %3.0f%% %,.1f/%,.1f MB | %,d docs %,.0f docs/s | %,d rejected",
            file,
            files,
            "█".repeat(filled) + "░".repeat(WIDTH - filled),
            fraction * 100,
            bytes / 1e6,
            totalBytes / 1e6,
            documents,
            documents / seconds,
            rejected);
    out.print(terminal ? "\r" + line : line + System.lineSeparator());
    out.flush();
  }
}
