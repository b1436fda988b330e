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

  /** Bytes of input consumed so far, decompressed. */
  long bytesRead();

  /** Bytes of the file consumed so far, as on disk (compressed), for progress. */
  long fileBytes();

  /** Where reading is now, for a rejection of the rest of the input: {@code file@offset}. */
  String position();

  /** The bytes of a record left unfinished when the input broke. */
  byte[] unfinishedRecord();
}
