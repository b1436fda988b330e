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
    args.add(file.toString());
    return run(args.toArray(String[]::new));
  }

  @Test
  void aSourceOfAStreamWithoutATokenTopicIsRefusedBeforeAnythingIsSent() throws Exception {
    Path file = dir.resolve("docs.jsonl");
    Files.writeString(file, "{\"text\": \"a document that would be lost downstream\"}\n");
    String[] main = ingest(file);
    assertThat(main[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(main[2]).contains("tokens.main.v1").contains("--stream").contains("UNKNOWN_STREAM");
    assertThat(kafka.values(dev.refinery.schemas.Topics.CORPUS_RAW))
        .as("nothing was sent")
        .isEmpty();

    String[] web = ingest(file, "--stream", "web");
    assertThat(web[0]).as(web[2]).isEqualTo("0");
  }
}
