package dev.refinery.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's wheel: what pip needs in it, and, where python3 has pip, pip installs it. */
class PythonWheelTest {
  @TempDir Path dir;

  @Test
  void theWheelHoldsThePackageAndMetadataThatPipInstalls() throws Exception {
    Path wheel = PythonWheel.build(Path.of("python"), dir.resolve("dist"));

    assertThat(wheel.getFileName().toString()).isEqualTo("refinery_bridge-0.1.0-py3-none-any.whl");
    List<String> names = new ArrayList<>();
    String metadata;
    String record;
    try (ZipFile zip = new ZipFile(wheel.toFile())) {
      zip.stream().forEach(e -> names.add(e.getName()));
      metadata =
          new String(
              zip.getInputStream(zip.getEntry("refinery_bridge-0.1.0.dist-info/METADATA"))
                  .readAllBytes(),
              StandardCharsets.UTF_8);
      record =
          new String(
              zip.getInputStream(zip.getEntry("refinery_bridge-0.1.0.dist-info/RECORD"))
                  .readAllBytes(),
              StandardCharsets.UTF_8);
    }
    assertThat(names)
        .contains(
            "refinery_bridge/__init__.py",
            "refinery_bridge/py.typed",
            "refinery_bridge-0.1.0.dist-info/WHEEL",
            "refinery_bridge-0.1.0.dist-info/RECORD");
    assertThat(metadata)
        .contains("Name: refinery-bridge", "Version: 0.1.0", "Requires-Python: >=3.8")
        .contains("Requires-Dist: torch; extra == \"torch\"");
    assertThat(record).contains("refinery_bridge/__init__.py,sha256=");
    assertThat(Files.readAllBytes(PythonWheel.build(Path.of("python"), dir.resolve("again"))))
        .as("reproducible")
        .isEqualTo(Files.readAllBytes(wheel));

    Process pip =
        new ProcessBuilder("python3", "-m", "pip", "--version").redirectErrorStream(true).start();
    pip.getInputStream().readAllBytes();
    Assumptions.assumeTrue(pip.waitFor() == 0, "python3 has pip");
    Path target = dir.resolve("site");
    Process install =
        new ProcessBuilder(
                "python3",
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--no-index",
                "--disable-pip-version-check",
                "--target",
                target.toString(),
                wheel.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(install.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(install.exitValue()).as(output).isZero();
    ProcessBuilder use =
        new ProcessBuilder(
                "python3", "-c", "import refinery_bridge as rb; print(rb.BridgeClient.__name__)")
            .redirectErrorStream(true);
    use.environment().put("PYTHONPATH", target.toString());
    Process p = use.start();
    String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(printed).isZero();
    assertThat(printed.trim()).isEqualTo("BridgeClient");
  }
}
