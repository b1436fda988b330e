package dev.refinery.infra;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Writes a base image as {@code docker save} does (a tar of {@code manifest.json}, the config and
 * one layer), for building Refinery's image where no registry can be reached: Jib takes it as
 * {@code tar://<file>}. Its one layer holds the image's user (65532, {@code refinery}) and {@code
 * /tmp}; it has no Java runtime, so the image built on it is for inspecting and for running its
 * {@code /app} with a Java from outside (ContainerImageIT), not for a cluster, which takes the
 * build's default base (a JRE from a registry).
 *
 * <pre>java ... LocalBaseImage target/local-base.tar</pre>
 */
public final class LocalBaseImage {
  private LocalBaseImage() {}

  public static void main(String[] args) throws IOException {
    write(Path.of(args[0]));
  }

  static void write(Path file) throws IOException {
    byte[] layer = layer();
    String diffId = "sha256:" + sha256(layer);
    String config =
        """
        {"architecture":"amd64","os":"linux",\
        "config":{"Env":["PATH=/usr/local/bin:/usr/bin:/bin"]},\
        "rootfs":{"type":"layers","diff_ids":["%s"]}}"""
            .formatted(diffId);
    String manifest =
        """
        [{"Config":"config.json","RepoTags":["refinery/local-base:1"],"Layers":["layer.tar"]}]""";
    Files.createDirectories(file.toAbsolutePath().getParent());
    ByteArrayOutputStream image = new ByteArrayOutputStream();
    file(image, "manifest.json", manifest.getBytes(StandardCharsets.UTF_8), 0644);
    file(image, "config.json", config.getBytes(StandardCharsets.UTF_8), 0644);
    file(image, "layer.tar", layer, 0644);
    Files.write(file, end(image));
  }

  private static byte[] layer() {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    entry(tar, "etc/", '5', 0, 0755, 0);
    file(
        tar,
        "etc/passwd",
        ("root:x:0:0:root:/root:/sbin/nologin\n"
                + "refinery:x:65532:65532:refinery:/var/lib/refinery:/sbin/nologin\n")
            .getBytes(StandardCharsets.UTF_8),
        0644);
    file(tar, "etc/group", "root:x:0:\nrefinery:x:65532:\n".getBytes(StandardCharsets.UTF_8), 0644);
    entry(tar, "tmp/", '5', 0, 01777, 0);
    return end(tar);
  }

  private static void file(ByteArrayOutputStream tar, String name, byte[] content, int mode) {
    entry(tar, name, '0', content.length, mode, 0);
    tar.writeBytes(content);
    tar.writeBytes(new byte[(512 - content.length % 512) % 512]);
  }

  /** A ustar header: owner root, time 0 (the same files make the same bytes). */
  private static void entry(
      ByteArrayOutputStream tar, String name, char type, long size, int mode, long time) {
    byte[] header = new byte[512];
    put(header, 0, name);
    put(header, 100, octal(mode, 7));
    put(header, 108, octal(0, 7));
    put(header, 116, octal(0, 7));
    put(header, 124, octal(size, 11));
    put(header, 136, octal(time, 11));
    java.util.Arrays.fill(header, 148, 156, (byte) ' ');
    header[156] = (byte) type;
    put(header, 257, "ustar");
    put(header, 263, "00");
    put(header, 265, "root");
    put(header, 297, "root");
    long sum = 0;
    for (byte b : header) {
      sum += b & 0xFF;
    }
    put(header, 148, octal(sum, 6));
    header[155] = ' ';
    tar.writeBytes(header);
  }

  private static String octal(long value, int digits) {
    String octal = Long.toOctalString(value);
    return "0".repeat(Math.max(0, digits - octal.length())) + octal;
  }

  private static void put(byte[] header, int at, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, header, at, bytes.length);
  }

  /** The archive with its end: two empty blocks. */
  private static byte[] end(ByteArrayOutputStream tar) {
    tar.writeBytes(new byte[1024]);
    return tar.toByteArray();
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
