package dev.refinery.schemas;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Adds the current version of every value schema to the released set, where its parsing canonical
 * form differs from the newest released one. Run it when a release ships a schema change:
 *
 * <pre>
 * mvn -q -pl schemas compile exec:java@release-schemas
 * </pre>
 *
 * It only ever adds files; it never rewrites a released version.
 */
public final class SchemaRelease {
  private SchemaRelease() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println(
          "usage: SchemaRelease <released folder, e.g. schemas/src/main/resources/"
              + ReleasedSchemas.RESOURCE_ROOT
              + ">");
      System.exit(2);
    }
    Path root = Path.of(args[0]);
    for (Schema current : ReleasedSchemas.VALUE_SCHEMAS) {
      Path dir = root.resolve(current.getName());
      Files.createDirectories(dir);
      int next = 1;
      Schema latest = null;
      while (Files.exists(dir.resolve("v" + next + ".avsc"))) {
        latest = new Schema.Parser().parse(dir.resolve("v" + next + ".avsc").toFile());
        next++;
      }
      if (latest != null && fingerprint(latest) == fingerprint(current)) {
        System.out.printf("%-18s unchanged (v%d)%n", current.getName(), next - 1);
        continue;
      }
      Path file = dir.resolve("v" + next + ".avsc");
      Files.writeString(file, current.toString(true) + "\n", StandardCharsets.UTF_8);
      System.out.printf("%-18s released as %s%n", current.getName(), file);
    }
  }

  static long fingerprint(Schema schema) {
    return SchemaNormalization.parsingFingerprint64(schema);
  }
}
