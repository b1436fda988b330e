package dev.refinery.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * The released versions of each value schema, kept as self-contained {@code .avsc} files under
 * {@code dev/refinery/schemas/released/<Name>/v<N>.avsc} (in {@code schemas/src/main/resources}).
 *
 * <p>A released version is never changed or removed: the decoders register every one, so records
 * that any released build wrote stay readable, and {@code SchemaCompatibilityTest} holds the
 * current schema to full compatibility with all of them. {@link SchemaRelease} adds a version when
 * a schema changes.
 */
public final class ReleasedSchemas {
  /** Classpath folder of the released set. */
  public static final String RESOURCE_ROOT = "dev/refinery/schemas/released";

  /** The value types of the topic catalog: each has a released set. */
  public static final List<Schema> VALUE_SCHEMAS =
      List.of(
          Document.getClassSchema(),
          RejectedDocument.getClassSchema(),
          TokenBatch.getClassSchema(),
          TrainerMetric.getClassSchema(),
          DataCheckpoint.getClassSchema(),
          IngestProgress.getClassSchema(),
          Takedown.getClassSchema(),
          Sample.getClassSchema(),
          PreferenceLabel.getClassSchema(),
          RbrmJudgement.getClassSchema(),
          RewardModelPair.getClassSchema(),
          LabelerStats.getClassSchema(),
          Image.getClassSchema());

  private static final ConcurrentHashMap<String, List<Schema>> CACHE = new ConcurrentHashMap<>();

  private ReleasedSchemas() {}

  /** Released versions of the named record, oldest first; empty if it was never released. */
  public static List<Schema> versionsOf(String recordName) {
    return CACHE.computeIfAbsent(recordName, ReleasedSchemas::load);
  }

  static String resource(String recordName, int version) {
    return RESOURCE_ROOT + "/" + recordName + "/v" + version + ".avsc";
  }

  private static List<Schema> load(String recordName) {
    List<Schema> versions = new ArrayList<>();
    ClassLoader loader = ReleasedSchemas.class.getClassLoader();
    for (int v = 1; ; v++) {
      String path = resource(recordName, v);
      try (InputStream in = loader.getResourceAsStream(path)) {
        if (in == null) {
          return List.copyOf(versions);
        }
        versions.add(new Schema.Parser().parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read released schema " + path, e);
      }
    }
  }
}
