package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images the build makes with {@code -Pimages} (Jib, no Docker daemon), read as a container
 * runtime would: the config's entrypoint, user and working folder, the layers unpacked into a root.
 * The refinery image's {@code /app} then runs the demo with this build's Java, so the image holds
 * everything the pipeline needs. Runs where the images were built ({@code mvn -B -q package
 * -DskipTests -Pimages,images-local}: a local base, no registry), and is skipped elsewhere.
 */
class ContainerImageIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path LAUNCHER = Path.of("target", "refinery-image.tar");
  private static final Path TOKENIZER = Path.of("..", "tokenizer", "target");

  @TempDir Path root;

  @Test
  void theRefineryImageRunsAsANonRootUserAndItsAppRunsTheDemo() throws Exception {
    assumeBuilt(LAUNCHER, Path.of("target", "refinery-launcher.jar"));
    Image image = Image.read(LAUNCHER, root);
    JsonNode config = image.config().path("config");
    List<String> entrypoint = strings(config.path("Entrypoint"));
    assertThat(entrypoint.get(0)).isEqualTo("java");
    assertThat(entrypoint)
        .contains(
            "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.refinery.schemas",
            "-cp",
            "@/app/jib-classpath-file")
        .endsWith("dev.refinery.launcher.Refinery");
    assertThat(strings(config.path("Cmd"))).containsExactly("--help");
    // at most two malloc arenas, as ./refinery runs every service
    assertThat(strings(config.path("Env"))).contains("MALLOC_ARENA_MAX=2");
    assertThat(config.path("User").asText()).isEqualTo("65532:65532");
    assertThat(config.path("WorkingDir").asText()).isEqualTo("/var/lib/refinery");
    assertThat(image.modes()).containsEntry("var/lib/refinery/", 0777);
    assertThat(root.resolve("app/libs"))
        .isDirectoryContaining("glob:**/refinery-dedup-filter-*.jar");

    // the entrypoint as the container runs it, with this build's Java and the root's /app
    Path classpath = root.resolve("classpath");
    Files.writeString(
        classpath,
        Files.readString(root.resolve("app/jib-classpath-file"))
            .replace("/app/", root.resolve("app") + "/"));
    List<String> command = new ArrayList<>(entrypoint);
    command.set(0, ProcessHandle.current().info().command().orElse("java"));
    command.set(command.indexOf("@/app/jib-classpath-file"), "@" + classpath);
    Path work = root.resolve("var/lib/refinery");

    String help = run(command, List.of("--help"), work, 60);
    assertThat(help).contains("demo", "dedup-filter", "ingest", "bridge", "console");
    String demo = run(command, List.of("demo"), work, 300);
    assertThat(demo)
        .contains("Invariant 1 (each document in exactly one place)", "✓")
        .doesNotContain("✗");
  }

  @Test
  void theTokenizerImageIsFlinksWithTheJobJarInUsrlib() throws Exception {
    Path tar = TOKENIZER.resolve("tokenizer-job-image.tar");
    assumeBuilt(tar, TOKENIZER.resolve("refinery-tokenizer-job.jar"));
    Image image = Image.read(tar, root);
    // Flink's own entrypoint is kept (none in the local base), and no class path of Jib's own
    assertThat(
            image.config().path("config").path("Entrypoint").isNull()
                || image.config().path("config").path("Entrypoint").isMissingNode())
        .isTrue();
    assertThat(image.modes().keySet()).noneMatch(name -> name.startsWith("app/"));
    Path jar = root.resolve("opt/flink/usrlib/refinery-tokenizer-job.jar");
    assertThat(jar).exists();
    assertThat(sha256(jar)).isEqualTo(sha256(TOKENIZER.resolve("refinery-tokenizer-job.jar")));
  }

  /**
   * Skips unless the image was built, and built from this build's jar: one left by an earlier
   * {@code -Pimages} build holds older code than the tree's.
   */
  private static void assumeBuilt(Path image, Path jar) throws IOException {
    assumeTrue(
        Files.exists(image),
        "no image: mvn -B -q package -DskipTests -Pimages,images-local builds it");
    assumeTrue(
        !Files.exists(jar)
            || Files.getLastModifiedTime(image).compareTo(Files.getLastModifiedTime(jar)) >= 0,
        image
            + " is older than "
            + jar
            + ", so it is not this build's: mvn -B -q package -DskipTests"
            + " -Pimages,images-local builds it anew");
  }

  /** An image saved as {@code docker save} writes it, its layers unpacked into a root. */
  record Image(JsonNode config, Map<String, Integer> modes) {
    static Image read(Path tar, Path root) throws IOException {
      // first the manifest and the config, then the layers, each unpacked as it streams by
      Map<String, byte[]> json = new HashMap<>();
      try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
        for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
          if (e.isFile() && e.getName().endsWith(".json")) {
            json.put(e.getName(), in.readAllBytes());
          }
        }
      }
      JsonNode manifest = JSON.readTree(json.get("manifest.json")).get(0);
      JsonNode config = JSON.readTree(json.get(manifest.path("Config").asText()));
      List<String> layers = strings(manifest.path("Layers"));
      Map<String, Integer> modes = new HashMap<>();
      try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
        for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
          if (!layers.contains(e.getName())) {
            continue;
          }
          InputStream layer = new java.io.BufferedInputStream(in);
          layer.mark(2);
          boolean gzip = layer.read() == 0x1f & layer.read() == 0x8b;
          layer.reset();
          unpack(new TarArchiveInputStream(gzip ? new GZIPInputStream(layer) : layer), root, modes);
        }
      }
      return new Image(config, modes);
    }

    private static void unpack(TarArchiveInputStream in, Path root, Map<String, Integer> modes)
        throws IOException {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        String name = e.getName().replaceFirst("^\\./", "").replaceFirst("^/", "");
        modes.put(name, e.getMode() & 07777);
        Path target = root.resolve(name).normalize();
        if (!target.startsWith(root)) {
          throw new IOException("a layer entry outside the root: " + e.getName());
        }
        if (e.isDirectory()) {
          Files.createDirectories(target);
        } else if (e.isFile()) {
          Files.createDirectories(target.getParent());
          Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private static String run(List<String> entrypoint, List<String> args, Path dir, long seconds)
      throws Exception {
    List<String> command = new ArrayList<>(entrypoint);
    command.addAll(args);
    Files.createDirectories(dir);
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(seconds, TimeUnit.SECONDS)).isTrue();
    String text = new String(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(text).isZero();
    return text;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
