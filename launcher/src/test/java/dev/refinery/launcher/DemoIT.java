package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The README's first command runs `refinery demo`: it must finish, drained, with exit status 0. */
class DemoIT {
  @TempDir Path work;

  @Test
  void theDemoDrainsAndHoldsInvariantOne() {
    StringWriter out = new StringWriter();
    CommandLine cli = Refinery.commandLine();
    cli.setOut(new PrintWriter(out, true));

    int status = cli.execute("demo", "--work-dir", work.toString());

    String printed = out.toString();
    assertThat(status).as(printed).isZero();
    assertThat(printed)
        .contains("Kafka broker (KRaft, in this process) listening on localhost:")
        .contains("rejected at ingest")
        .contains("EXACT_DUPLICATE")
        .contains("GOPHER_SHORT_DOC")
        .contains("NEAR_DUPLICATE")
        .contains("TAKEDOWN")
        .contains("MALFORMED_JSON")
        .contains("INVALID_UTF8")
        .contains("acme-books  licensed")
        .contains("First sequence of tokens.web.v1")
        .containsPattern(
            "Invariant 1 \\(each document in exactly one place\\): (\\d+) of \\1 documents ingested .* ✓")
        .containsPattern("Demo done in \\d+\\.\\d s\\.");
  }

  @Test
  void configurationErrorsNameTheSettingAndExitWithTwo() {
    StringWriter err = new StringWriter();
    CommandLine cli = Refinery.commandLine();
    cli.setErr(new PrintWriter(err, true));

    int status = cli.execute("demo", "--work-dir", work.toString(), "-D", "dedup.min.wrods=3");

    assertThat(status).isEqualTo(Refinery.USAGE);
    assertThat(err.toString()).contains("dedup.min.wrods");
  }
}
