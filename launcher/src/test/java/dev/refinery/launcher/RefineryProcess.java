package dev.refinery.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The refinery command in a JVM of its own, for tests that kill it with SIGKILL. */
final class RefineryProcess {
  private RefineryProcess() {}

  /**
   * The command line: this JVM's java and class path, temporary files in {@code dir}, the log in
   * {@code log}, then the refinery command's arguments.
   */
  static List<String> command(Path dir, Path log, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                "-Djava.io.tmpdir=" + dir,
                "-Drefinery.log.file=" + log,
                Refinery.class.getName()));
    command.addAll(List.of(args));
    return command;
  }
}
