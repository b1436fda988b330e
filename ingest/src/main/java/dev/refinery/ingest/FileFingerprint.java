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
 * What identifies an input file across restarts and renames: its size and a SHA-256 of its first
 * and last MiB. Cheap for a 10 GB dump, and the same after the file is moved from an upload folder.
 */
final class FileFingerprint {
  private static final int EDGE = 1 << 20;

  private FileFingerprint() {}

  /** {@code <size>-<24 hex digits>}. */
  static String of(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(ByteBuffer.allocate(8).putLong(size).flip());
      digest(channel, 0, Math.min(size, EDGE), sha);
      if (size > EDGE) {
        long start = Math.max(EDGE, size - EDGE);
        digest(channel, start, size - start, sha);
      }
      return size + "-" + HexFormat.of().formatHex(sha.digest(), 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  private static void digest(FileChannel channel, long position, long length, MessageDigest sha)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(length, 64 * 1024));
    long done = 0;
    while (done < length) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), length - done));
      int n = channel.read(buffer, position + done);
      if (n < 0) {
        break;
      }
      sha.update(buffer.flip());
      done += n;
    }
  }
}
