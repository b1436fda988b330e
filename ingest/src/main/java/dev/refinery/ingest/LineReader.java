package dev.refinery.ingest;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads newline-separated records with a bound on memory: a line longer than the bound is reported
 * with its first bytes and its full length, and the rest of it is skipped, not buffered.
 */
final class LineReader implements Closeable {
  /** One line without its terminator; {@code bytes} is cut at the bound when {@link #tooLong()}. */
  record Line(long number, long offset, byte[] bytes, long length) {
    boolean tooLong() {
      return length > bytes.length;
    }
  }

  private final InputStream in;
  private final int maxLineBytes;
  private final byte[] buffer = new byte[64 * 1024];
  private int pos;
  private int limit;
  private long consumed;
  private long lineNumber;
  private ByteArrayOutputStream partial;

  LineReader(InputStream in, int maxLineBytes) {
    this.in = in;
    this.maxLineBytes = maxLineBytes;
  }

  /** Bytes of the input consumed so far, including the terminators of the lines returned. */
  long offset() {
    return consumed;
  }

  /** The bytes of an unfinished line read before the input failed (for the rejection record). */
  byte[] partialLine() {
    return partial == null ? new byte[0] : partial.toByteArray();
  }

  /** The next line, or {@code null} at the end of the input. */
  Line next() throws IOException {
    partial = new ByteArrayOutputStream();
    long start = consumed;
    long length = 0;
    while (true) {
      if (pos == limit) {
        limit = in.read(buffer);
        pos = 0;
        if (limit <= 0) {
          limit = 0;
          if (length == 0) {
            return null;
          }
          lineNumber++;
          return line(start, length);
        }
      }
      int end = pos;
      while (end < limit && buffer[end] != '\n') {
        end++;
      }
      int chunk = end - pos;
      int room = (int) Math.max(0, maxLineBytes - Math.min(length, maxLineBytes));
      partial.write(buffer, pos, Math.min(chunk, room));
      length += chunk;
      consumed += chunk;
      if (end < limit) {
        pos = end + 1;
        consumed++;
        lineNumber++;
        return line(start, length);
      }
      pos = limit;
    }
  }

  private Line line(long start, long length) {
    byte[] bytes = partial.toByteArray();
    partial = null;
    if (length <= maxLineBytes && bytes.length > 0 && bytes[bytes.length - 1] == '\r') {
      bytes = Arrays.copyOf(bytes, bytes.length - 1);
      length--;
    }
    return new Line(lineNumber, start, bytes, length);
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
