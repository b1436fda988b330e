package dev.refinery.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingests files as they land in a folder, and keeps going.
 *
 * <p><b>Convention.</b> Write a file under a name the watcher ignores (starting with {@code .} or
 * ending in {@code .tmp}, {@code .part} or {@code .partial}), then rename it to its final name in
 * the same folder: a rename is atomic, so the watcher never sees half a file. A file written or
 * copied in place is read once it has gone unmodified for {@code ingest.watch.quiet.ms} (1 s), so
 * that a scan in the middle of its writing does not read half of it and then, modified, all of it
 * again. With a source given, every file under the folder belongs to it; without, each first-level
 * subfolder is named after the declared source its files belong to ({@code
 * DIR/cc-2024-10/shard-0001.jsonl.gz}).
 *
 * <p>A file is ingested once: its progress is on {@code ingest.progress.v1}, so a restarted watcher
 * skips what is done and resumes what was interrupted. When Kafka is away, the file is tried again
 * at the next scan.
 */
public final class FolderWatcher implements Runnable, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FolderWatcher.class);

  /** Told about each file the watcher finishes or fails. */
  public interface Listener {
    void ingested(Path file, IngestReport report);

    void failed(Path file, Exception error);
  }

  private record Seen(Path file, long size, long modified) {}

  /** A file as a scan found it, and when this watcher first found it so. */
  private record Settling(Seen seen, long since) {}

  private final Path root;
  private final SourceRegistry sources;
  private final String source;
  private final Ingestor ingestor;
  private final long pollMs;
  private final Listener listener;

  /**
   * Each file finished, as it was when read (its latest version), while it is in the folder: a file
   * that leaves it is forgotten at the next scan, so that a watcher fed for months holds only what
   * is there.
   */
  private final Map<Path, Seen> finished = new HashMap<>();

  private final Map<Path, Settling> settling = new HashMap<>();

  /** The subfolders named after no declared source, warned of once. */
  private final Set<Path> unknownFolders = new HashSet<>();

  private final long quietMs;
  private final LongSupplier clock;
  private volatile boolean stopped;

  /** How long a file must go unmodified before it is read, by default. */
  public static final long DEFAULT_QUIET_MS = 1000;

  /**
   * @param source the source of every file, or {@code null} to name sources by subfolder
   * @param quietMs how long a file must go unmodified before it is read ({@link #DEFAULT_QUIET_MS})
   * @param clock the time now, in epoch milliseconds: how long ago a file was modified is told by
   *     it ({@code System::currentTimeMillis})
   */
  public FolderWatcher(
      Path root,
      SourceRegistry sources,
      String source,
      Ingestor ingestor,
      long pollMs,
      long quietMs,
      Listener listener,
      LongSupplier clock) {
    if (quietMs < 0) {
      throw new IllegalArgumentException("a quiet time is 0 ms or more: " + quietMs);
    }
    this.root = root;
    this.sources = sources;
    this.source = source;
    this.ingestor = ingestor;
    this.pollMs = pollMs;
    this.quietMs = quietMs;
    this.listener = listener;
    this.clock = clock;
    if (source != null) {
      sources.get(source);
    }
  }

  @Override
  public void run() {
    while (!stopped) {
      try {
        scan();
      } catch (IOException e) {
        LOG.warn("cannot list {}: {}", root, e.toString());
      }
      try {
        Thread.sleep(pollMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Ingests what is new in the folder now and has gone unmodified for the quiet time; returns how
   * many files were finished. A file modified more lately is left to a later scan.
   */
  public int scan() throws IOException {
    int done = 0;
    List<Path> files = candidates();
    Set<Path> present = new HashSet<>(files);
    finished.keySet().retainAll(present);
    settling.keySet().retainAll(present);
    for (Path file : files) {
      if (stopped) {
        break;
      }
      BasicFileAttributes attributes;
      try {
        attributes = Files.readAttributes(file, BasicFileAttributes.class);
      } catch (NoSuchFileException e) {
        continue; // renamed or removed since the listing
      }
      Seen seen = new Seen(file, attributes.size(), attributes.lastModifiedTime().toMillis());
      if (seen.equals(finished.get(file)) || !quiet(seen)) {
        continue;
      }
      SourceDeclaration declared = sourceOf(file);
      if (declared == null) {
        continue;
      }
      try {
        IngestReport report =
            ingestor.ingest(
                new Ingestor.Input(file, declared, null, root.relativize(file).toString()),
                IngestListener.NONE);
        finished.put(file, seen);
        settling.remove(file);
        listener.ingested(file, report);
        done++;
      } catch (IngestException e) {
        // Kafka away, or the file vanished: try again at the next scan
        listener.failed(file, e);
      }
    }
    return done;
  }

  /**
   * Whether a file has gone unmodified for the quiet time: by its modification time, or, where that
   * is later than this clock (another machine's clock, a copy that kept a time to come), since this
   * watcher first saw it as it is now.
   */
  private boolean quiet(Seen seen) {
    long now = clock.getAsLong();
    if (now - seen.modified() >= quietMs) {
      return true;
    }
    Settling before = settling.get(seen.file());
    if (before == null || !before.seen().equals(seen)) {
      settling.put(seen.file(), new Settling(seen, now));
      return quietMs == 0;
    }
    return now - before.since() >= quietMs;
  }

  private List<Path> candidates() throws IOException {
    List<Path> files = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      throw new IOException("no such folder: " + root);
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.filter(Files::isRegularFile)
          .filter(f -> !ignored(root.relativize(f)))
          .filter(f -> InputFormat.of(f) != null)
          .sorted()
          .forEach(files::add);
    }
    return files;
  }

  private SourceDeclaration sourceOf(Path file) {
    if (source != null) {
      return sources.get(source);
    }
    Path relative = root.relativize(file);
    if (relative.getNameCount() < 2) {
      return null;
    }
    String name = relative.getName(0).toString();
    try {
      return sources.get(name);
    } catch (IllegalArgumentException e) {
      if (unknownFolders.add(file.getParent())) {
        LOG.warn("{}: folder {} names no declared source; its files are left alone", root, name);
      }
      return null;
    }
  }

  /** How many files the watcher keeps in mind now: finished, or waiting to go quiet. */
  int remembered() {
    return finished.size() + settling.size();
  }

  /** Hidden, temporary and partial files, anywhere in the path. */
  public static boolean ignored(Path relative) {
    for (Path part : relative) {
      String name = part.toString().toLowerCase(Locale.ROOT);
      if (name.startsWith(".")
          || name.startsWith("_")
          || name.endsWith(".tmp")
          || name.endsWith(".part")
          || name.endsWith(".partial")
          || name.endsWith(".inprogress")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    stopped = true;
  }
}
