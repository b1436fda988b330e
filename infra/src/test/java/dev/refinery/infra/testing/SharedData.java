package dev.refinery.infra.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real sample corpora in {@code ../shared/data} beside the checkout. They are there in CI and
 * on the development machines, never in the project; tests that read them are skipped elsewhere.
 */
public final class SharedData {
  private SharedData() {}

  /** A file of {@code shared/data/corpora}; skips the test if it is absent. */
  public static Path corpus(String name) {
    Path file = root().resolve("corpora").resolve(name);
    assumeTrue(Files.isRegularFile(file), "shared sample " + file + " is not here; skipping");
    return file;
  }

  /**
   * A file under {@code shared/data} (e.g. {@code scaling/x.csv}); skips the test if it is absent.
   */
  public static Path file(String relative) {
    Path file = root().resolve(relative);
    assumeTrue(Files.isRegularFile(file), "shared sample " + file + " is not here; skipping");
    return file;
  }

  /** {@code shared/data}, from the {@code refinery.shared.data} property the build sets. */
  public static Path root() {
    String configured = System.getProperty("refinery.shared.data");
    return configured != null ? Path.of(configured) : Path.of("..", "..", "shared", "data");
  }
}
