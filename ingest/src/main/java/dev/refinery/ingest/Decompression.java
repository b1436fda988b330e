package dev.refinery.ingest;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Opens an input file, decompressing {@code .gz} and {@code .zst}, with a bound on what it may
 * decompress to: beyond {@code ingest.max.decompressed.bytes}, or beyond {@code
 * ingest.max.compression.ratio} once it has produced 64 MiB, reading fails with {@link
 * LimitExceeded}, so a decompression bomb costs a bounded amount of work.
 */
final class Decompression {
  static final long RATIO_CHECK_AFTER = 64L << 20;

  private Decompression() {}

  /** Thrown when a file decompresses beyond its bounds. */
  static final class LimitExceeded extends IOException {
    private static final long serialVersionUID = 1L;
    final long measured;
    final long threshold;

    LimitExceeded(String message, long measured, long threshold) {
      super(message);
      this.measured = measured;
      this.threshold = threshold;
    }
  }

  /** The compression a file name says, by its last extension. */
  enum Codec {
    NONE(""),
    GZIP(".gz"),
    ZSTD(".zst");

    final String suffix;

    Codec(String suffix) {
      this.suffix = suffix;
    }

    static Codec of(String fileName) {
      String name = fileName.toLowerCase(Locale.ROOT);
      if (name.endsWith(".gz") || name.endsWith(".gzip")) {
        return GZIP;
      }
      if (name.endsWith(".zst") || name.endsWith(".zstd")) {
        return ZSTD;
      }
      return NONE;
    }
  }

  /**
   * Opens the file, decompressed.
   *
   * @throws IOException if the file is not what its name says (a .gz that is not gzip)
   */
  static Counted open(Path file, long maxBytes, int maxRatio) throws IOException {
    Counting compressed = new Counting(Files.newInputStream(file), Long.MAX_VALUE, 0, null);
    InputStream buffered = new BufferedInputStream(compressed, 64 * 1024);
    try {
      return switch (Codec.of(file.getFileName().toString())) {
        case NONE -> new Counted(new Counting(buffered, maxBytes, 0, null), compressed);
        case GZIP ->
            new Counted(
                new Counting(
                    new GZIPInputStream(buffered, 64 * 1024), maxBytes, maxRatio, compressed),
                compressed);
        case ZSTD ->
            new Counted(
                new Counting(new ZstdInputStream(buffered), maxBytes, maxRatio, compressed),
                compressed);
      };
    } catch (IOException | RuntimeException e) {
      buffered.close();
      throw e;
    }
  }

  /** A decompressed stream, how many bytes it has produced, and how far into the file it is. */
  static final class Counted extends FilterInputStream {
    private final Counting counting;
    private final Counting file;

    Counted(Counting counting, Counting file) {
      super(counting);
      this.counting = counting;
      this.file = file;
    }

    /** Decompressed bytes read. */
    long bytes() {
      return counting.count;
    }

    /** Bytes of the file read (ahead of what was decompressed by a buffer at most). */
    long fileBytes() {
      return file.count;
    }
  }

  /** Counts bytes and fails past the bounds. */
  private static final class Counting extends FilterInputStream {
    private final long max;
    private final int maxRatio;
    private final Counting compressed;
    private long count;

    Counting(InputStream in, long max, int maxRatio, Counting compressed) {
      super(in);
      this.max = max;
      this.maxRatio = maxRatio;
      this.compressed = compressed;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        advance(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        advance(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      advance(skipped);
      return skipped;
    }

    private void advance(long n) throws LimitExceeded {
      count += n;
      if (count > max) {
        throw new LimitExceeded(
            "decompresses to more than "
                + IngestConfig.MAX_DECOMPRESSED_BYTES
                + "="
                + max
                + " bytes",
            count,
            max);
      }
      if (compressed != null && count > RATIO_CHECK_AFTER && compressed.count > 0) {
        long ratio = count / compressed.count;
        if (ratio > maxRatio) {
          throw new LimitExceeded(
              "decompresses "
                  + ratio
                  + "x, more than "
                  + IngestConfig.MAX_COMPRESSION_RATIO
                  + "="
                  + maxRatio
                  + " (a decompression bomb?)",
              ratio,
              maxRatio);
        }
      }
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
