package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Formats by name, file fingerprints, and the watcher's ignore rule. */
class SourceFilesTest {
  @TempDir Path dir;

  @Test
  void formatsAreToldByNameBeforeTheCompressionSuffix() {
    assertThat(InputFormat.of(Path.of("a.jsonl.zst"))).isEqualTo(InputFormat.JSONL);
    assertThat(InputFormat.of(Path.of("CC-MAIN-2019.warc.wet.gz"))).isEqualTo(InputFormat.WET);
    assertThat(InputFormat.of(Path.of("sample-0000.warc.gz"))).isEqualTo(InputFormat.WARC);
    assertThat(InputFormat.of(Path.of("notes.md"))).isEqualTo(InputFormat.TEXT);
    assertThat(InputFormat.of(Path.of("shard.parquet"))).isNull();
  }

  @Test
  void aFingerprintSurvivesARenameAndChangesWithTheContent() throws IOException {
    byte[] bytes = new byte[3 << 20];
    new Random(7).nextBytes(bytes);
    Path a = Files.write(dir.resolve("a.jsonl"), bytes);
    String before = FileFingerprint.of(a);
    Path moved = Files.move(a, dir.resolve("done-a.jsonl"));

    assertThat(FileFingerprint.of(moved)).isEqualTo(before).startsWith((3 << 20) + "-");
    bytes[bytes.length - 1] ^= 1;
    assertThat(FileFingerprint.of(Files.write(dir.resolve("b.jsonl"), bytes))).isNotEqualTo(before);
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
