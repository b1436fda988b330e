package dev.refinery.bridge;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds the Python client's wheel ({@code refinery_bridge-<version>-py3-none-any.whl}) from {@code
 * trainer-bridge/python}, in Java, so that the Maven build makes it on any machine, with or without
 * Python. The wheel is pure Python; its metadata comes from {@code pyproject.toml} (name, version,
 * description, requires-python, optional dependencies). The archive is reproducible: entries
 * sorted, timestamps fixed.
 *
 * <p>Install it with {@code pip install target/python/refinery_bridge-*.whl}; {@code pip install
 * trainer-bridge/python} builds the same package from the source tree.
 */
public final class PythonWheel {
  private static final String PACKAGE = "refinery_bridge";
  private static final long FIXED_TIME = 315_532_800_000L + 86_400_000L; // 1980-01-02

  private PythonWheel() {}

  /** {@code PythonWheel <python source folder> <output folder>}. */
  public static void main(String[] args) throws IOException {
    Path wheel = build(Path.of(args[0]), Path.of(args[1]));
    System.out.println("python client wheel: " + wheel);
  }

  /** Writes the wheel into {@code out} and returns its path. */
  public static Path build(Path source, Path out) throws IOException {
    String pyproject = Files.readString(source.resolve("pyproject.toml"));
    String name = field(pyproject, "name");
    String version = field(pyproject, "version");
    String distribution = name.replace('-', '_');
    String info = distribution + "-" + version + ".dist-info/";

    Map<String, byte[]> files = new LinkedHashMap<>();
    List<Path> sources;
    try (Stream<Path> walk = Files.walk(source.resolve(PACKAGE))) {
      sources =
          walk.filter(Files::isRegularFile)
              .filter(
                  p ->
                      p.toString().endsWith(".py") || p.getFileName().toString().equals("py.typed"))
              .sorted()
              .toList();
    }
    for (Path p : sources) {
      files.put(source.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
    }
    files.put(info + "METADATA", metadata(pyproject, name, version, source));
    files.put(
        info + "WHEEL",
        ("Wheel-Version: 1.0\nGenerator: refinery-build\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
            .getBytes(StandardCharsets.UTF_8));
    StringBuilder record = new StringBuilder();
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      record
          .append(f.getKey())
          .append(",sha256=")
          .append(Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(f.getValue())))
          .append(',')
          .append(f.getValue().length)
          .append('\n');
    }
    record.append(info).append("RECORD,,\n");
    files.put(info + "RECORD", record.toString().getBytes(StandardCharsets.UTF_8));

    Files.createDirectories(out);
    Path wheel = out.resolve(distribution + "-" + version + "-py3-none-any.whl");
    try (OutputStream o = Files.newOutputStream(wheel);
        ZipOutputStream zip = new ZipOutputStream(o)) {
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        ZipEntry e = new ZipEntry(f.getKey());
        e.setTime(FIXED_TIME);
        zip.putNextEntry(e);
        zip.write(f.getValue());
        zip.closeEntry();
      }
    }
    return wheel;
  }

  private static byte[] metadata(String pyproject, String name, String version, Path source)
      throws IOException {
    StringBuilder m = new StringBuilder();
    m.append("Metadata-Version: 2.1\n")
        .append("Name: ")
        .append(name)
        .append('\n')
        .append("Version: ")
        .append(version)
        .append('\n');
    String summary = optionalField(pyproject, "description");
    if (summary != null) {
      m.append("Summary: ").append(summary).append('\n');
    }
    String python = optionalField(pyproject, "requires-python");
    if (python != null) {
      m.append("Requires-Python: ").append(python).append('\n');
    }
    for (Map.Entry<String, List<String>> extra : extras(pyproject).entrySet()) {
      m.append("Provides-Extra: ").append(extra.getKey()).append('\n');
      for (String requirement : extra.getValue()) {
        m.append("Requires-Dist: ")
            .append(requirement)
            .append("; extra == \"")
            .append(extra.getKey())
            .append("\"\n");
      }
    }
    Path readme = source.resolve("README.md");
    if (Files.exists(readme)) {
      m.append("Description-Content-Type: text/markdown\n\n").append(Files.readString(readme));
    }
    return m.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** {@code key = "value"} of the pyproject's [project] table. */
  private static String field(String pyproject, String key) {
    String value = optionalField(pyproject, key);
    if (value == null) {
      throw new IllegalArgumentException("pyproject.toml has no " + key);
    }
    return value;
  }

  private static String optionalField(String pyproject, String key) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(key) + "\\s*=\\s*\"([^\"]*)\"")
            .matcher(project(pyproject));
    return m.find() ? m.group(1) : null;
  }

  private static String project(String pyproject) {
    int start = pyproject.indexOf("[project]");
    if (start < 0) {
      throw new IllegalArgumentException("pyproject.toml has no [project] table");
    }
    int end = pyproject.indexOf("\n[", start + 1);
    return pyproject.substring(start, end < 0 ? pyproject.length() : end);
  }

  /** The [project.optional-dependencies] table: extra = ["requirement", ...] lines. */
  private static Map<String, List<String>> extras(String pyproject) {
    Map<String, List<String>> extras = new LinkedHashMap<>();
    int start = pyproject.indexOf("[project.optional-dependencies]");
    if (start < 0) {
      return extras;
    }
    int end = pyproject.indexOf("\n[", start + 1);
    String table = pyproject.substring(start, end < 0 ? pyproject.length() : end);
    Matcher m = Pattern.compile("(?m)^([A-Za-z0-9_-]+)\\s*=\\s*\\[([^\\]]*)\\]").matcher(table);
    while (m.find()) {
      List<String> requirements = new ArrayList<>();
      Matcher r = Pattern.compile("\"([^\"]+)\"").matcher(m.group(2));
      while (r.find()) {
        requirements.add(r.group(1));
      }
      extras.put(m.group(1), requirements);
    }
    return extras;
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
