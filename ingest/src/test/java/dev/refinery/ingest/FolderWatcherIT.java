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
    FolderWatcher.Listener listener =
        new FolderWatcher.Listener() {
          @Override
          public void ingested(Path file, IngestReport report) {
            done.add(file);
          }

          @Override
          public void failed(Path file, Exception error) {
            throw new AssertionError(error);
          }
        };

    try (Ingestor ingestor = Ingestor.create(config, "watch-it", IngestMetrics.inMemory());
        FolderWatcher watcher = new FolderWatcher(dir, sources, null, ingestor, 50, listener)) {
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
      Files.writeString(dir.resolve("drop-b").resolve("chapter.txt"), "A chapter of a book.");
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
        FolderWatcher watcher = new FolderWatcher(dir, sources, null, again, 50, listener)) {
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
}
