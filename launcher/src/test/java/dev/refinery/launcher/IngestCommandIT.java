package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source whose stream no tokenizer reads is a configuration error at ingest, before a document is
 * sent: otherwise every one of its clean documents would be rejected downstream as UNKNOWN_STREAM
 * while ingest exits 0.
 */
class IngestCommandIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams("web");

  @TempDir Path dir;

  private String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cli = Refinery.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int status = cli.execute(args);
    return new String[] {String.valueOf(status), out.toString(), err.toString()};
  }

  /** {@code refinery ingest} of one file as a declared synthetic CC0 source, plus {@code extra}. */
  private String[] ingest(Path file, String... extra) {
    return ingest(List.of(file), extra);
  }

  private String[] ingest(List<Path> files, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "ingest",
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--work-dir",
                dir.resolve("work").toString(),
                "--source",
                "cli-declared",
                "--kind",
                "synthetic",
                "--licence",
                "CC0-1.0"));
    args.addAll(List.of(extra));
    files.forEach(f -> args.add(f.toString()));
    return run(args.toArray(String[]::new));
  }

  @Test
  void aSourceOfAStreamWithoutATokenTopicIsRefusedBeforeAnythingIsSent() throws Exception {
    Path file = dir.resolve("docs.jsonl");
    Files.writeString(file, "{\"text\": \"a document that would be lost downstream\"}\n");
    String[] main = ingest(file);
    assertThat(main[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(main[2])
        .contains("tokens.main.v1")
        .contains("--stream web")
        .contains("UNKNOWN_STREAM");
    assertThat(kafka.values(dev.refinery.schemas.Topics.CORPUS_RAW))
        .as("nothing was sent")
        .isEmpty();

    String[] web = ingest(file, "--stream", "web");
    assertThat(web[0]).as(web[2]).isEqualTo("0");
  }

  @Test
  void everyFileOutcomeIsInTheSummaryAndTheExitStatus() throws Exception {
    Path file = dir.resolve("shard.jsonl");
    Files.writeString(file, "{\"text\": \"the first document\"}\n{\"text\": \"the second\"}\n");
    assertThat(ingest(file, "--stream", "web")[0]).isEqualTo("0");

    String[] again = ingest(file, "--stream", "web");
    assertThat(again[0]).as(again[2]).isEqualTo(String.valueOf(Refinery.SKIPPED));
    assertThat(again[1])
        .contains("unchanged since ingested: not sent again")
        .contains("1 file(s) unchanged");

    Path copy = Files.copy(file, dir.resolve("shard-copy.jsonl"));
    String[] withAMissingOne = ingest(List.of(dir.resolve("gone.jsonl"), copy), "--stream", "web");
    assertThat(withAMissingOne[0]).isEqualTo(String.valueOf(Refinery.REJECTED));
    assertThat(withAMissingOne[1])
        .contains("refused: no such file")
        .contains("1 file(s) refused")
        .containsPattern("shard-copy.jsonl +cli-declared +2 +2 ");
    assertThat(
            kafka.values(dev.refinery.schemas.Topics.CORPUS_RAW).stream()
                .filter(d -> d.getText().toString().startsWith("the "))
                .map(d -> d.getId().toString())
                .toList())
        .as("the copy's documents went out with the ids of the original's: replays downstream")
        .hasSize(4)
        .containsOnly(
            dev.refinery.schemas.DocumentIds.forContent("cli-declared", "the first document"),
            dev.refinery.schemas.DocumentIds.forContent("cli-declared", "the second"));
  }
}
