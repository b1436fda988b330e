package dev.refinery.runtime.http;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.io.Content;

/**
 * Reads a request body as it arrives, holding no thread, into one array: of the declared length
 * when there is one, else grown by doubling. Each network buffer is copied and given back to the
 * connection at once, so a body costs its own bytes and no more.
 *
 * <p>Jetty's own {@code Content.Source.asByteArrayAsync} keeps every network buffer of the body
 * until the last arrives and then copies them all into an array: twice the body at the end, half of
 * it outside the heap. Its buffer pool then kept what it had been given back, up to an eighth of
 * the heap's maximum outside the heap: after sixteen pushes of 60 MB to ingest (eight at a time,
 * {@code -Xmx2g}), 29,176 buffers and 252 MB of direct memory stayed in the pool.
 *
 * <p>Once {@link #result} is completed by another (a timeout), reading stops at the next buffer and
 * the bytes read so far are let go.
 */
final class BodyReader implements Runnable {
  /** A body longer than the reader's limit. */
  static final class TooLarge extends RuntimeException {
    TooLarge(long limit) {
      super("the body is longer than " + limit + " bytes", null, false, false);
    }
  }

  /** The first array when no length is declared. */
  static final int FIRST_CAPACITY = 64 * 1024;

  /** The largest array Java makes. */
  static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  private final Content.Source source;
  private final int limit;
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();
  private byte[] bytes;
  private int size;

  /**
   * @param declared the body's declared length, or -1 when it has none (chunked)
   * @param limit the most bytes read: one more and the result fails with {@link TooLarge}
   */
  private BodyReader(Content.Source source, long declared, long limit) {
    this.source = source;
    this.limit = (int) Math.min(MAX_ARRAY, Math.max(0, limit));
    int first =
        declared >= 0 && declared <= this.limit
            ? (int) declared
            : Math.min(this.limit, FIRST_CAPACITY);
    this.bytes = new byte[first];
  }

  /**
   * Starts reading the body; the future completes with its bytes, or fails with {@link TooLarge} or
   * the read's failure.
   */
  static CompletableFuture<byte[]> read(Content.Source source, long declared, long limit) {
    BodyReader reader = new BodyReader(source, declared, limit);
    reader.run();
    return reader.result;
  }

  @Override
  public void run() {
    while (true) {
      if (result.isDone()) {
        // given up on (timed out): stop reading, and let the bytes go
        bytes = null;
        source.fail(new java.util.concurrent.CancellationException("body no longer awaited"));
        return;
      }
      Content.Chunk chunk = source.read();
      if (chunk == null) {
        source.demand(this);
        return;
      }
      if (Content.Chunk.isFailure(chunk)) {
        bytes = null;
        result.completeExceptionally(chunk.getFailure());
        if (!chunk.isLast()) {
          source.fail(chunk.getFailure());
        }
        return;
      }
      boolean last = chunk.isLast();
      try {
        ByteBuffer in = chunk.getByteBuffer();
        int n = in.remaining();
        if (n > limit - size) {
          bytes = null;
          TooLarge tooLarge = new TooLarge(limit);
          result.completeExceptionally(tooLarge);
          source.fail(tooLarge);
          return;
        }
        if (size + n > bytes.length) {
          long grown = Math.max((long) size + n, 2L * bytes.length);
          bytes = Arrays.copyOf(bytes, (int) Math.min(limit, grown));
        }
        in.get(bytes, size, n);
        size += n;
      } finally {
        chunk.release();
      }
      if (last) {
        byte[] body = size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
        bytes = null;
        result.complete(body);
        return;
      }
    }
  }
}
