package dev.refinery.ingest;

import java.io.Closeable;
import java.io.IOException;

/**
 * Reads the records of one input, in order, each as a {@link Parsed}: bad records come back as
 * rejections, never as exceptions. An {@link IOException} means the input itself broke (a cut .gz,
 * a decompression bomb): the records before it stand, the rest cannot be read.
 */
interface DocumentReader extends Closeable {
  /** The next record's outcome, or {@code null} at the end of the input. */
  Parsed next() throws IOException;

  /**
   * Passes over the next {@code n} records without their outcomes (a resumed run's committed ones);
   * returns how many there were. Readers that can seek do it without reading them.
   */
  default long skip(long n) throws IOException {
    long done = 0;
    while (done < n && next() != null) {
      done++;
    }
    return done;
  }

  /** Bytes of input consumed so far, decompressed. */
  long bytesRead();

  /** Bytes of the file consumed so far, as on disk (compressed), for progress. */
  long fileBytes();

  /** Where reading is now, for a rejection of the rest of the input: {@code file@offset}. */
  String position();

  /** The bytes of a record left unfinished when the input broke. */
  byte[] unfinishedRecord();
}
