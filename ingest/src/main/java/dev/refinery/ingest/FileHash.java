package dev.refinery.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 of every byte of an input file: what tells a file ingested before from one that
 * changed, however small the change.
 *
 * <p>While a file is ingested, {@link #start} hashes it on a thread of its own, alongside the
 * parser, so the hash costs no second pass over the data: the page cache serves both readers. Each
 * commit records a hashed prefix that covers every byte the committed records came from, so a run
 * that resumes after a crash can check that the file is still the one it was reading.
 */
final class FileHash implements AutoCloseable {
  private static final int CHUNK = 1 << 20;

  /** The first {@code bytes} bytes of a file hashed: {@code sha256} in lower-case hex. */
  record Prefix(long bytes, String sha256) {}

  private final FileChannel channel;
  private final MessageDigest digest = sha256();
  private final Thread thread;
  private long hashed;
  private boolean ended;
  private IOException failure;
  private volatile boolean closed;

  private FileHash(Path file) throws IOException {
    this.channel = FileChannel.open(file, StandardOpenOption.READ);
    this.thread = new Thread(this::run, "ingest-hash-" + file.getFileName());
    thread.setDaemon(true);
  }

  /** Starts hashing a file on its own thread. */
  static FileHash start(Path file) throws IOException {
    FileHash hash = new FileHash(file);
    hash.thread.start();
    return hash;
  }

  /** The SHA-256 of the whole file, in one pass on the calling thread. */
  static String of(Path file) throws IOException {
    return prefix(file, Long.MAX_VALUE).sha256();
  }

  /**
   * The SHA-256 of the file's first {@code bytes} bytes, or of all of it if it is shorter (then
   * {@link Prefix#bytes} says how many).
   */
  static Prefix prefix(Path file, long bytes) throws IOException {
    MessageDigest sha = sha256();
    ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
    long done = 0;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      while (done < bytes) {
        buffer.clear().limit((int) Math.min(CHUNK, bytes - done));
        int n = channel.read(buffer);
        if (n < 0) {
          break;
        }
        sha.update(buffer.flip());
        done += n;
      }
    }
    return new Prefix(done, HexFormat.of().formatHex(sha.digest()));
  }

  /**
   * Waits until at least {@code bytes} bytes (or the whole file) are hashed, and returns the hash
   * of what is hashed by then.
   */
  synchronized Prefix atLeast(long bytes) throws IOException {
    while (hashed < bytes && !ended) {
      waitForMore();
    }
    if (failure != null) {
      throw failure;
    }
    try {
      return new Prefix(
          hashed, HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest()));
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("the JDK's SHA-256 can be cloned", e);
    }
  }

  /** Waits for the end of the file, and returns the hash of all of it. */
  Prefix whole() throws IOException {
    return atLeast(Long.MAX_VALUE);
  }

  private void waitForMore() throws IOException {
    try {
      wait();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while hashing the file", e);
    }
  }

  private void run() {
    ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
    try {
      while (!closed) {
        buffer.clear();
        int n = channel.read(buffer);
        synchronized (this) {
          if (n < 0) {
            break;
          }
          digest.update(buffer.flip());
          hashed += n;
          notifyAll();
        }
      }
    } catch (IOException e) {
      synchronized (this) {
        failure = e;
      }
    } catch (RuntimeException e) {
      synchronized (this) {
        failure = new IOException(e);
      }
    } finally {
      synchronized (this) {
        ended = true;
        notifyAll();
      }
      try {
        channel.close();
      } catch (IOException e) {
        // read only: nothing to lose
      }
    }
  }

  @Override
  public void close() {
    closed = true;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
