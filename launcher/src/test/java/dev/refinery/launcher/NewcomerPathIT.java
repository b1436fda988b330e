package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.infra.text.SyntheticText;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "your own data in five minutes", run as a newcomer would: the commands of the blocks
 * marked {@code <!-- newcomer:... -->}, as written, in a folder of their own (with {@code
 * ./refinery} and {@code trainer-bridge/} of this checkout in it): a properties file, {@code
 * refinery up} left running, {@code refinery ingest} of a folder, and the Python snippet that reads
 * a batch. If the README changes, this test runs what it says now.
 */
class NewcomerPathIT {
  private static final Pattern STEP =
      Pattern.compile("<!-- newcomer:(\\w+)([^>]*?) -->\\s*```[a-z]*\\n(.*?)```", Pattern.DOTALL);
  private static final int[] PORTS = {9092, 8470, 8471, 8472, 8473, 8474, 8475, 8476};

  @TempDir Path dir;

  private record Step(String kind, String argument, String body) {}

  @Test
  void theReadmeStepsTakeANewcomerFromAFolderToBatchesInPython() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent();
    String readme = Files.readString(root.resolve("README.md"));
    List<Step> steps = new ArrayList<>();
    Matcher m = STEP.matcher(readme);
    while (m.find()) {
      steps.add(new Step(m.group(1), m.group(2).trim(), m.group(3)));
    }
    assertThat(steps)
        .extracting(Step::kind)
        .as("the README's newcomer steps")
        .containsExactly("file", "background", "run", "python");
    for (int port : PORTS) {
      try (ServerSocket probe = new ServerSocket(port)) {
        probe.setReuseAddress(true);
      } catch (IOException e) {
        throw new AssertionError(
            "port " + port + " is taken: refinery up needs it for the README's steps", e);
      }
    }
    Files.createSymbolicLink(dir.resolve("refinery"), root.resolve("refinery"));
    Files.createSymbolicLink(dir.resolve("trainer-bridge"), root.resolve("trainer-bridge"));
    writeData(dir.resolve("my-data"));

    Process up = null;
    try {
      for (Step step : steps) {
        switch (step.kind()) {
          case "file" -> Files.writeString(dir.resolve(step.argument()), step.body());
          case "background" -> up = background(step.body().trim(), step.argument());
          case "run" -> {
            Process p = shell(step.body().trim(), dir.resolve("run.log"));
            assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("ingest finished").isTrue();
            String log = Files.readString(dir.resolve("run.log"));
            assertThat(p.exitValue()).as(log).isZero();
            assertThat(log).contains("total").contains(" 60 ");
          }
          case "python" -> python(step.body());
          default -> throw new AssertionError("unknown step " + step.kind());
        }
      }
    } finally {
      if (up != null) {
        up.destroy(); // SIGTERM: the services stop in reverse
        if (!up.waitFor(60, TimeUnit.SECONDS)) {
          up.destroyForcibly();
        }
      }
    }
  }

  /** Three JSONL files of 20 documents each, of prose the filters keep. */
  private static void writeData(Path folder) throws IOException {
    Files.createDirectories(folder);
    ObjectMapper json = new ObjectMapper();
    for (int f = 0; f < 3; f++) {
      StringBuilder lines = new StringBuilder();
      for (int i = 0; i < 20; i++) {
        int n = f * 20 + i;
        lines
            .append(
                json.writeValueAsString(
                    Map.of("id", "doc-" + n, "text", SyntheticText.text(1000 + n, 10))))
            .append('\n');
      }
      Files.writeString(folder.resolve("part-" + f + ".jsonl"), lines.toString());
    }
  }

  private Process shell(String command, Path log) throws IOException {
    return new ProcessBuilder("bash", "-c", command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /** Starts the command and waits until its output says {@code ready}. */
  private Process background(String command, String ready) throws Exception {
    Path log = dir.resolve("up.log");
    Process p = shell(command, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (!Files.readString(log).contains(ready)) {
      assertThat(p.isAlive()).as("refinery up is running: %s", Files.readString(log)).isTrue();
      assertThat(System.nanoTime())
          .as("refinery up ready in time: %s", Files.readString(log))
          .isLessThan(deadline);
      Thread.sleep(250);
    }
    return p;
  }

  private void python(String snippet) throws Exception {
    Process which = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
    Assumptions.assumeTrue(which.waitFor() == 0, "python3 is installed");
    Files.writeString(dir.resolve("read.py"), snippet, StandardCharsets.UTF_8);
    Path log = dir.resolve("python.log");
    Process p = shell("python3 read.py", log);
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("python finished").isTrue();
    String out = Files.readString(log);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out)
        .matches(
            "(?s)web-000000000000 8 x 2048 uint32 first document [0-9a-f]{32} of my-corpus"
                + " CC-BY-4.0\\s*");
  }
}
