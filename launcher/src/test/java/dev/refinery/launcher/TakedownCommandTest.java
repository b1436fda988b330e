package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** A takedown without what it covers or why is refused before anything is sent. */
class TakedownCommandTest {
  private static String[] run(String... args) {
    StringWriter err = new StringWriter();
    picocli.CommandLine cli = Refinery.commandLine();
    cli.setErr(new PrintWriter(err, true));
    int status = cli.execute(args);
    return new String[] {String.valueOf(status), err.toString()};
  }

  @Test
  void aTakedownNeedsAScopeAndAReason() {
    String[] noScope = run("takedown", "--reason", "x", "--bootstrap-servers", "localhost:1");
    assertThat(noScope[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(noScope[1]).contains("--doc-id, --url-prefix or --source");

    String[] noReason =
        run(
            "takedown",
            "--url-prefix",
            "https://example.org/",
            "--bootstrap-servers",
            "localhost:1");
    assertThat(noReason[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(noReason[1]).contains("--reason");

    String[] two =
        run("takedown", "--url-prefix", "https://example.org/", "--source", "web", "--reason", "x");
    assertThat(two[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(two[1]).contains("mutually exclusive");
  }

  @Test
  void aUrlPrefixThatIsNotAnAbsoluteUrlIsRefused() {
    String[] bad =
        run(
            "takedown",
            "--url-prefix",
            "not-a-url",
            "--reason",
            "x",
            "--bootstrap-servers",
            "localhost:1");
    assertThat(bad[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(bad[1]).contains("absolute http(s) URL");
  }
}
