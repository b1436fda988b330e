package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Files dropped into a watched folder flow in; a restarted watcher sends nothing twice. */
class FolderWatcherIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  @TempDir Path dir;

  @Test
  void filesRenamedIntoPlaceAreIngestedOnceEvenAcrossRestarts() throws Exception {
    IngestConfig config =
        new IngestConfig(
            Map.of("bootstrap.servers", kafka.bootstrapServers(), IngestConfig.WATCH_POLL_MS, 50));
    SourceRegistry sources =
        SourceRegistry.fromConfig(
            Map.of(
                "sources.drop-a.kind",
                "public_web",
                "sources.drop-a.licence",
                "CC0-1.0",
                "sources.drop-b.kind",
                "books",
                "sources.drop-b.terms",
                "contract 7"));
    Files.createDirectories(dir.resolve("drop-a"));
    Files.createDirectories(dir.resolve("drop-b"));
    Files.createDirectories(dir.resolve("unknown-source"));
    List<Path> done = new CopyOnWriteArrayList<>();
    FolderWatcher.Listener listener = listener(done);

    try (Ingestor ingestor = Ingestor.create(config, "watch-it", IngestMetrics.inMemory());
        FolderWatcher watcher = watcher(sources, ingestor, listener)) {
      Thread thread = new Thread(watcher);
      thread.start();
      // the convention: write under a temporary name, rename into place
      Path partial = dir.resolve("drop-a").resolve("shard-1.jsonl.tmp");
      Files.writeString(partial, "{\"id\": \"a1\", \"text\": \"first\"}\n", StandardCharsets.UTF_8);
      Thread.sleep(300);
      assertThat(done).as("a .tmp file is left alone").isEmpty();
      Files.writeString(
          partial,
          "{\"id\": \"a2\", \"text\": \"second\"}\n",
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.APPEND);
      Files.move(
          partial, dir.resolve("drop-a").resolve("shard-1.jsonl"), StandardCopyOption.ATOMIC_MOVE);
      Path chapter = dir.resolve("drop-b").resolve(".chapter.txt");
      Files.writeString(chapter, "A chapter of a book.");
      Files.move(
          chapter, dir.resolve("drop-b").resolve("chapter.txt"), StandardCopyOption.ATOMIC_MOVE);
      Files.writeString(
          dir.resolve("unknown-source").resolve("x.jsonl"), "{\"text\": \"ignored\"}\n");
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (done.size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      watcher.close();
      thread.join();
    }
    assertThat(done)
        .extracting(p -> dir.relativize(p).toString())
        .containsExactlyInAnyOrder("drop-a/shard-1.jsonl", "drop-b/chapter.txt");

    // a new watcher on the same folder: progress on Kafka says both files are done
    try (Ingestor again = Ingestor.create(config, "watch-it", IngestMetrics.inMemory());
        FolderWatcher watcher = watcher(sources, again, listener)) {
      done.clear();
      assertThat(watcher.scan()).isEqualTo(2);
    }
    List<Document> docs = kafka.values(Topics.CORPUS_RAW);
    assertThat(docs)
        .filteredOn(d -> d.getSource().getName().startsWith("drop-"))
        .extracting(Document::getText)
        .containsExactlyInAnyOrder("first", "second", "A chapter of a book.");
    assertThat(docs)
        .filteredOn(d -> d.getSource().getName().equals("drop-b"))
        .singleElement()
        .satisfies(d -> assertThat(d.getNativeId()).isEqualTo("drop-b/chapter.txt"));
  }

  @Test
  void aFileWrittenInPlaceIsReadOnceWholeAfterItHasGoneUnmodifiedForTheQuietTime()
      throws Exception {
    IngestConfig config = new IngestConfig(Map.of("bootstrap.servers", kafka.bootstrapServers()));
    SourceRegistry sources =
        SourceRegistry.fromConfig(
            Map.of("sources.in-place.kind", "books", "sources.in-place.terms", "contract 8"));
    Path folder = Files.createDirectories(dir.resolve("in-place"));
    List<Path> done = new CopyOnWriteArrayList<>();
    FolderWatcher.Listener listener = listener(done);
    long t0 = 1_800_000_000_000L;
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
    Path book = folder.resolve("book.txt");
    Path future = folder.resolve("future.txt");
    try (Ingestor ingestor = Ingestor.create(config, "watch-quiet", IngestMetrics.inMemory());
        FolderWatcher watcher =
            new FolderWatcher(dir, sources, null, ingestor, 50, 1000, listener, now::get)) {
      // half of it, written 400 ms ago: left for a later scan
      Files.writeString(book, "The first half");
      Files.setLastModifiedTime(book, java.nio.file.attribute.FileTime.fromMillis(t0));
      now.set(t0 + 400);
      assertThat(watcher.scan()).isZero();
      // the rest, 400 ms ago again
      Files.writeString(
          book, " and the rest.", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
      Files.setLastModifiedTime(book, java.nio.file.attribute.FileTime.fromMillis(t0 + 600));
      now.set(t0 + 1000);
      assertThat(watcher.scan()).isZero();
      now.set(t0 + 1600);
      assertThat(watcher.scan()).isEqualTo(1);
      assertThat(watcher.scan()).as("done, and unchanged").isZero();

      // a modification time to come (another machine's clock): quiet from when it was first seen
      Files.writeString(future, "Written by a clock ahead.");
      Files.setLastModifiedTime(
          future, java.nio.file.attribute.FileTime.fromMillis(t0 + 86_400_000L));
      assertThat(watcher.scan()).isZero();
      now.set(t0 + 2599);
      assertThat(watcher.scan()).isZero();
      now.set(t0 + 2600);
      assertThat(watcher.scan()).isEqualTo(1);

      // a new version is read, and kept in mind in place of the one before
      Files.writeString(future, "Written again.");
      Files.setLastModifiedTime(future, java.nio.file.attribute.FileTime.fromMillis(t0));
      assertThat(watcher.scan()).isEqualTo(1);
      assertThat(watcher.remembered()).isEqualTo(2);
      // a file that leaves the folder is forgotten, so a watcher fed for months holds what is there
      Files.delete(book);
      assertThat(watcher.scan()).isZero();
      assertThat(watcher.remembered()).isEqualTo(1);
    }
    assertThat(done).containsExactly(book, future, future);
    assertThat(kafka.values(Topics.CORPUS_RAW))
        .filteredOn(d -> d.getSource().getName().equals("in-place"))
        .extracting(Document::getText)
        .containsExactlyInAnyOrder(
            "The first half and the rest.", "Written by a clock ahead.", "Written again.");
  }

  private FolderWatcher watcher(
      SourceRegistry sources, Ingestor ingestor, FolderWatcher.Listener listener) {
    return new FolderWatcher(
        dir,
        sources,
        null,
        ingestor,
        50,
        FolderWatcher.DEFAULT_QUIET_MS,
        listener,
        System::currentTimeMillis);
  }

  /** Adds each file ingested to {@code done}; a failure fails the test. */
  private static FolderWatcher.Listener listener(List<Path> done) {
    return new FolderWatcher.Listener() {
      @Override
      public void ingested(Path file, IngestReport report) {
        done.add(file);
      }

      @Override
      public void failed(Path file, Exception error) {
        throw new AssertionError(error);
      }
    };
  }
}
