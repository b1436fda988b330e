package dev.refinery.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/** A secret of the local default, generated once into a file only its owner may read. */
final class LocalSecret {
  private LocalSecret() {}

  /** The secret in {@code file}, written first (32 random bytes, base64url) if it is not there. */
  static String of(Path file) {
    try {
      if (!Files.exists(file)) {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Files.createDirectories(file.toAbsolutePath().getParent());
        try {
          Files.createFile(
              file,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
          Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
          return Files.readString(file, StandardCharsets.UTF_8).trim();
        }
        Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
        return secret;
      }
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write the local secret " + file, e);
    }
  }
}
