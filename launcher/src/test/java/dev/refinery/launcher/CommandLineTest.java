package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as the docs show it: what parses, and what is refused with a reason. */
class CommandLineTest {
  @TempDir Path work;

  private static String[] run(String... args) {
    StringWriter err = new StringWriter();
    picocli.CommandLine cli = Refinery.commandLine();
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    int status = cli.execute(args);
    return new String[] {String.valueOf(status), err.toString()};
  }

  @Test
  void ingestServeAndWatchParseAsTheDocsShowThem() {
    picocli.CommandLine cli = Refinery.commandLine();
    assertThat(cli.parseArgs("ingest", "serve").subcommand().subcommand().commandSpec().name())
        .isEqualTo("serve");
    assertThat(
            cli.parseArgs("ingest", "watch", "/tmp/dropzone", "--source", "web")
                .subcommand()
                .subcommand()
                .commandSpec()
                .name())
        .isEqualTo("watch");
    assertThat(
            Refinery.commandLine()
                .parseArgs("up", "--watch", "/tmp/dropzone")
                .subcommand()
                .commandSpec()
                .name())
        .isEqualTo("up");
  }

  @Test
  void feedbackReconcileSaysWhatItNeeds() {
    String[] noUrl = run("feedback", "reconcile", "--project", "3", "--work-dir", work.toString());
    assertThat(noUrl[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(noUrl[1]).contains("--label-studio");
    String[] noToken =
        run(
            "feedback",
            "reconcile",
            "--project",
            "3",
            "--label-studio",
            "http://127.0.0.1:1",
            "--work-dir",
            work.toString());
    assertThat(noToken[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(noToken[1]).contains("feedback.labelstudio.api.token");
    String[] badFormat = run("feedback", "export", "-o", "-", "--format", "trl");
    assertThat(badFormat[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(badFormat[1]).contains("trl-preference");
  }

  @Test
  void ingestOfFilesStillNeedsItsSourceAndPaths() {
    String[] noSource = run("ingest", "some.jsonl");
    assertThat(noSource[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(noSource[1]).contains("--source");
    String[] noPath = run("ingest", "--source", "web");
    assertThat(noPath[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(noPath[1]).contains("PATH");
  }

  @Test
  void aKafkaSettingWithoutItsPrefixIsRefusedWithTheNameItShouldHave() {
    String[] status = run("topics", "-D", "security.protocol=SSL", "--bootstrap-servers", "x:1");
    assertThat(status[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(status[1]).contains("kafka.security.protocol");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new Settings(work, null, Map.of(), Map.of("dedupe.hold.ms", "5")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dedupe.hold.ms");
  }

  @Test
  void aMisspeltKafkaClientSettingIsRefusedByName() {
    String[] status =
        run("topics", "-D", "kafka.security.protocl=SSL", "--bootstrap-servers", "x:1");
    assertThat(status[0]).isEqualTo(String.valueOf(Refinery.USAGE));
    assertThat(status[1]).contains("kafka.security.protocl");
  }

  @Test
  void upBoundsRocksDbWithOneBudgetUnlessTheSettingsGiveOne() {
    Settings up = UpCommand.local(new Settings(work, null, Map.of(), Map.of()));
    assertThat(up.dedup().rocksDbMemoryBytes()).isEqualTo(256L << 20);
    assertThat(up.feedback().rocksDbMemoryBytes()).isEqualTo(256L << 20);
    // 0, Kafka Streams' own settings, is still there to choose; the environment counts too
    Settings chosen =
        UpCommand.local(
            new Settings(
                work,
                null,
                Map.of("REFINERY_FEEDBACK_ROCKSDB_MEMORY_BYTES", "67108864"),
                Map.of("dedup.rocksdb.memory.bytes", "0")));
    assertThat(chosen.dedup().rocksDbMemoryBytes()).isZero();
    assertThat(chosen.feedback().rocksDbMemoryBytes()).isEqualTo(64L << 20);
    // a stage run on its own keeps its default
    assertThat(new Settings(work, null, Map.of(), Map.of()).dedup().rocksDbMemoryBytes()).isZero();
  }
}
