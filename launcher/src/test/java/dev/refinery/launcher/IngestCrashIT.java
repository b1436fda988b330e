package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.IngestProgress;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real crash: `refinery ingest` in its own JVM is killed with SIGKILL in the middle of a file,
 * then run again; every document of the file is on corpus.raw.v1 exactly once.
 */
class IngestCrashIT {
  static final int DOCUMENTS = 60_000;

  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams("main");

  @TempDir Path dir;

  @Test
  void killedMidFileAndRestartedEveryDocumentIsThereOnce() throws Exception {
    Path file = dir.resolve("crash.jsonl.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      for (int i = 0; i < DOCUMENTS; i++) {
        out.write(
            ("{\"id\": \"c"
                    + i
                    + "\", \"text\": \"document "
                    + i
                    + " of the crash test, with a few words\"}\n")
                .getBytes(StandardCharsets.UTF_8));
      }
    }

    Process first = ingest(file, dir.resolve("first.log"));
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    IngestProgress seen = null;
    while (seen == null) {
      assertThat(first.isAlive())
          .as(
              "the first run must still be going when it is killed; log:%n%s",
              log(dir.resolve("first.log")))
          .isTrue();
      assertThat(System.nanoTime()).isLessThan(deadline);
      seen =
          kafka.values(Topics.INGEST_PROGRESS).stream()
              .filter(p -> p.getSource().equals("crash") && p.getRecords() > 0)
              .findFirst()
              .orElse(null);
      Thread.sleep(20);
    }
    first.destroyForcibly(); // SIGKILL: no shutdown hook, an open transaction left behind
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    List<IngestProgress> afterKill =
        kafka.values(Topics.INGEST_PROGRESS).stream()
            .filter(p -> p.getSource().equals("crash"))
            .toList();
    assertThat(afterKill)
        .as("killed before the end of the file")
        .noneMatch(IngestProgress::getDone);
    long committedBeforeKill = afterKill.get(afterKill.size() - 1).getRecords();

    Process second = ingest(file, dir.resolve("second.log"));
    assertThat(second.waitFor(180, TimeUnit.SECONDS)).isTrue();
    String output = log(dir.resolve("second.log"));
    assertThat(second.exitValue()).as(output).isZero();
    assertThat(output).contains("resumed after " + committedBeforeKill + " records");

    List<Document> docs =
        kafka.values(Topics.CORPUS_RAW).stream()
            .filter(d -> d.getSource().getName().equals("crash"))
            .toList();
    Map<String, Integer> copies = new HashMap<>();
    docs.forEach(d -> copies.merge(d.getNativeId(), 1, Integer::sum));
    assertThat(copies).hasSize(DOCUMENTS);
    assertThat(copies.values()).as("no document twice").containsOnly(1);
  }

  private Process ingest(Path file, Path log) throws IOException {
    List<String> command =
        RefineryProcess.command(
            dir,
            dir.resolve("refinery.log"),
            "ingest",
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--source",
            "crash",
            "--kind",
            "synthetic",
            "--licence",
            "CC0-1.0",
            "-D",
            "ingest.commit.records=500",
            file.toString());
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static String log(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file) : "";
  }
}
