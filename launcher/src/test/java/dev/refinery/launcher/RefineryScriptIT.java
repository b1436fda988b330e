package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM options {@code ./refinery} chooses: the demo of the built-in corpus on C1 in a small
 * young generation, every demo on transparent huge pages where the kernel gives them on request,
 * and nothing of that for a demo of one's own files, for a service, or once {@code
 * REFINERY_JAVA_OPTS} is set; two malloc arenas for every command; the log and temporary files in
 * the work folder given. A {@code java} of the test's own, first on the PATH, prints what it was
 * given.
 */
class RefineryScriptIT {
  private static final Path THP = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

  @TempDir Path dir;

  @Test
  void theBuiltInDemoRunsOnC1InASmallYoungGeneration() throws Exception {
    List<String> options = jvmOptions(Map.of(), "demo");
    assertThat(options).contains("-XX:TieredStopAtLevel=1", "-Xmn64m");
    assertThat(options.contains("-XX:+UseTransparentHugePages")).isEqualTo(hugePagesOnRequest());
  }

  @Test
  void aDemoOfOnesOwnFilesKeepsTheDefaultCompilersAndHeap() throws Exception {
    List<String> options = jvmOptions(Map.of(), "demo", "--input", "my-data");
    assertThat(options).doesNotContain("-XX:TieredStopAtLevel=1", "-Xmn64m");
    assertThat(options.contains("-XX:+UseTransparentHugePages")).isEqualTo(hugePagesOnRequest());
  }

  @Test
  void servicesKeepTheJvmDefaults() throws Exception {
    assertThat(jvmOptions(Map.of(), "up"))
        .doesNotContain("-XX:TieredStopAtLevel=1", "-Xmn64m", "-XX:+UseTransparentHugePages");
  }

  @Test
  void refineryJavaOptsReplaceTheDemosChoices() throws Exception {
    assertThat(jvmOptions(Map.of("REFINERY_JAVA_OPTS", "-Xmx1g"), "demo"))
        .contains("-Xmx1g")
        .doesNotContain("-XX:TieredStopAtLevel=1", "-Xmn64m", "-XX:+UseTransparentHugePages");
  }

  @Test
  void theLogAndTemporaryFilesGoToTheWorkDirGiven() throws Exception {
    for (List<String> args :
        List.of(
            List.of("up", "--work-dir", "elsewhere/w"),
            List.of("up", "--work-dir=elsewhere/w"),
            List.of("--work-dir", "elsewhere/w", "up"))) {
      assertThat(jvmOptions(Map.of(), args.toArray(String[]::new)))
          .as(String.join(" ", args))
          .contains(
              "-Djava.io.tmpdir=elsewhere/w/tmp", "-Drefinery.log.file=elsewhere/w/refinery.log");
      assertThat(dir.resolve("elsewhere/w/tmp")).isDirectory();
    }
    assertThat(jvmOptions(Map.of(), "up"))
        .contains("-Djava.io.tmpdir=.refinery/tmp", "-Drefinery.log.file=.refinery/refinery.log");
  }

  @Test
  void everyCommandRunsWithTwoMallocArenasUnlessTold() throws Exception {
    for (String command : List.of("demo", "up", "dedup-filter")) {
      assertThat(run(Map.of(), command)).as(command).contains("env MALLOC_ARENA_MAX=2");
    }
    assertThat(run(Map.of("MALLOC_ARENA_MAX", "8"), "up")).contains("env MALLOC_ARENA_MAX=8");
  }

  private static boolean hugePagesOnRequest() throws IOException {
    return Files.isReadable(THP) && Files.readString(THP).contains("[madvise]");
  }

  /** The options before the class path that {@code ./refinery args} hands to java. */
  private List<String> jvmOptions(Map<String, String> env, String... args) throws Exception {
    List<String> given = run(env, args).stream().filter(a -> !a.startsWith("env ")).toList();
    return given.subList(0, given.indexOf("-cp"));
  }

  /**
   * What java was given by {@code ./refinery args}: the malloc arenas it was told of ({@code env
   * MALLOC_ARENA_MAX=...}), then its arguments, a line each.
   */
  private List<String> run(Map<String, String> env, String... args) throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent();
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path java = bin.resolve("java");
    Files.writeString(
        java,
        "#!/bin/sh\necho \"env MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX\"\n"
            + "for a in \"$@\"; do echo \"$a\"; done\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> command = new ArrayList<>(List.of(root.resolve("refinery").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().remove("REFINERY_JAVA_OPTS");
    pb.environment().remove("MALLOC_ARENA_MAX");
    pb.environment().putAll(env);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out.lines().toList();
  }
}
