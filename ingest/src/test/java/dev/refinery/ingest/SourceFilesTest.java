package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Formats by name, file hashes, and the watcher's ignore rule. */
class SourceFilesTest {
  @TempDir Path dir;

  @Test
  void formatsAreToldByNameBeforeTheCompressionSuffix() {
    assertThat(InputFormat.of(Path.of("a.jsonl.zst"))).isEqualTo(InputFormat.JSONL);
    assertThat(InputFormat.of(Path.of("CC-MAIN-2019.warc.wet.gz"))).isEqualTo(InputFormat.WET);
    assertThat(InputFormat.of(Path.of("sample-0000.warc.gz"))).isEqualTo(InputFormat.WARC);
    assertThat(InputFormat.of(Path.of("notes.md"))).isEqualTo(InputFormat.TEXT);
    assertThat(InputFormat.of(Path.of("shard.parquet"))).isEqualTo(InputFormat.PARQUET);
    assertThat(InputFormat.of(Path.of("shard.arrow"))).isNull();
  }

  @Test
  void theHashWhileReadingIsTheHashOfEveryByteAndAnyPrefixOnTheWay() throws IOException {
    byte[] bytes = new byte[(3 << 20) + 17];
    new Random(7).nextBytes(bytes);
    Path a = Files.write(dir.resolve("a.jsonl"), bytes);
    String whole = FileHash.of(a);

    try (FileHash running = FileHash.start(a)) {
      FileHash.Prefix some = running.atLeast(1 << 20);
      assertThat(some.bytes()).isGreaterThanOrEqualTo(1 << 20);
      assertThat(FileHash.prefix(a, some.bytes())).isEqualTo(some);
      assertThat(running.whole()).isEqualTo(new FileHash.Prefix(bytes.length, whole));
    }
    bytes[bytes.length / 2] ^= 1;
    assertThat(FileHash.of(Files.write(dir.resolve("b.jsonl"), bytes))).isNotEqualTo(whole);
    assertThat(FileHash.prefix(a, 1L << 40).bytes()).isEqualTo(bytes.length);
  }

  @Test
  void theWatcherIgnoresFilesStillBeingWritten() {
    assertThat(FolderWatcher.ignored(Path.of("cc", "shard-1.jsonl.gz"))).isFalse();
    assertThat(FolderWatcher.ignored(Path.of("cc", ".shard-1.jsonl.gz"))).isTrue();
    assertThat(FolderWatcher.ignored(Path.of("cc", "shard-1.jsonl.gz.tmp"))).isTrue();
    assertThat(FolderWatcher.ignored(Path.of("cc", "shard-1.jsonl.part"))).isTrue();
    assertThat(FolderWatcher.ignored(Path.of(".done", "shard-1.jsonl.gz"))).isTrue();
  }
}
