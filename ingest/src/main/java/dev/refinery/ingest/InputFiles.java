package dev.refinery.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The files a command line names: files as they are, folders walked for files of known formats. */
public final class InputFiles {
  private InputFiles() {}

  /** A file to ingest and its label: its path relative to the folder it was found in. */
  public record Listed(Path path, String label) {}

  /**
   * The files named, and those under the folders named (recursively, in name order, hidden ones
   * left out). Without {@code anyName}, only files whose name tells their format.
   */
  public static List<Listed> expand(List<Path> paths, boolean anyName) throws IOException {
    List<Listed> files = new ArrayList<>();
    for (Path path : paths) {
      if (Files.isDirectory(path)) {
        try (Stream<Path> walk = Files.walk(path)) {
          walk.filter(Files::isRegularFile)
              .filter(f -> !FolderWatcher.ignored(path.relativize(f)))
              .filter(f -> anyName || InputFormat.of(f) != null)
              .sorted()
              .forEach(f -> files.add(new Listed(f, path.relativize(f).toString())));
        }
      } else {
        files.add(new Listed(path, path.getFileName().toString()));
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          "no files to ingest in "
              + paths
              + " (.jsonl, .txt, .warc, .wet, each maybe .gz or .zst, and .parquet; or pass"
              + " --format)");
    }
    return files;
  }
}
