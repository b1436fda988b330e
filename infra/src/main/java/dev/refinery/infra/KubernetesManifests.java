package dev.refinery.infra;

import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.acl.AclBinding;

/**
 * Writes the Strimzi {@code KafkaTopic} and {@code KafkaUser} manifests of {@code
 * infra/deploy/kubernetes} from the topic catalog and {@link StageAcls}: the build runs it, so the
 * manifests cannot drift from the code. The other manifests there (the cluster, the Flink
 * deployment, the services) are written by hand and checked by {@code KubernetesManifestsTest}.
 */
public final class KubernetesManifests {
  /** The Strimzi cluster the resources belong to. */
  public static final String CLUSTER = "refinery";

  /** The token streams of the example deployment. */
  public static final List<String> STREAMS = List.of("web", "books", "code", "preference");

  /** Each stage's user, by stage. */
  public static final Map<StageAcls.Stage, String> USERS = users();

  private KubernetesManifests() {}

  private static Map<StageAcls.Stage, String> users() {
    Map<StageAcls.Stage, String> users = new LinkedHashMap<>();
    for (StageAcls.Stage stage : StageAcls.Stage.values()) {
      users.put(stage, "refinery-" + stage.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }
    return users;
  }

  /** Every topic of the example deployment: the catalog's and those of its streams. */
  public static List<TopicBinding<?, ?>> topics() {
    List<TopicBinding<?, ?>> topics = new ArrayList<>(Topics.fixed());
    STREAMS.forEach(s -> topics.add(Topics.tokens(s)));
    return topics;
  }

  /** {@code KafkaTopic}s: 3 replicas, min ISR 2, the catalog's partitions and configs. */
  static String topicsYaml() {
    StringBuilder y = new StringBuilder(header("KafkaTopic resources"));
    for (TopicBinding<?, ?> t : topics()) {
      y.append("---\napiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\nmetadata:\n")
          .append("  name: ")
          .append(t.name())
          .append("\n  labels:\n    strimzi.io/cluster: ")
          .append(CLUSTER)
          .append("\nspec:\n  topicName: ")
          .append(t.name())
          .append("\n  partitions: ")
          .append(t.partitions())
          .append("\n  replicas: 3\n  config:\n");
      // sorted: the file is the same on every build
      Map<String, String> configs = new java.util.TreeMap<>(t.configs());
      configs.put("min.insync.replicas", "2");
      configs.forEach((k, v) -> y.append("    ").append(k).append(": \"").append(v).append("\"\n"));
    }
    return y.toString();
  }

  /** {@code KafkaUser}s: SCRAM-SHA-512, with each stage's ACLs. */
  static String usersYaml() {
    StringBuilder y = new StringBuilder(header("KafkaUser resources"));
    USERS.forEach(
        (stage, user) -> {
          y.append("---\napiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaUser\nmetadata:\n")
              .append("  name: ")
              .append(user)
              .append("\n  labels:\n    strimzi.io/cluster: ")
              .append(CLUSTER)
              .append("\nspec:\n  authentication:\n    type: scram-sha-512\n")
              .append("  authorization:\n    type: simple\n    acls:\n");
          Map<String, List<String>> byResource = new LinkedHashMap<>();
          for (AclBinding b : StageAcls.of(stage, "User:" + user, null)) {
            String type = b.pattern().resourceType().name().toLowerCase(Locale.ROOT);
            String resource =
                "          type: "
                    + (type.equals("transactional_id") ? "transactionalId" : type)
                    + (type.equals("cluster")
                        ? ""
                        : "\n          name: \""
                            + b.pattern().name()
                            + "\"\n          patternType: "
                            // Strimzi spells Kafka's PREFIXED "prefix"
                            + (b.pattern().patternType().name().equals("PREFIXED")
                                ? "prefix"
                                : "literal"));
            byResource
                .computeIfAbsent(resource, r -> new ArrayList<>())
                .add(operation(b.entry().operation().name()));
          }
          byResource.forEach(
              (resource, operations) ->
                  y.append("      - resource:\n")
                      .append(resource)
                      .append("\n        operations: [")
                      .append(String.join(", ", operations))
                      .append("]\n        host: \"*\"\n"));
        });
    return y.toString();
  }

  /** {@code DESCRIBE_CONFIGS} as Strimzi spells it: {@code DescribeConfigs}. */
  private static String operation(String name) {
    StringBuilder out = new StringBuilder();
    for (String part : name.split("_")) {
      out.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
    }
    return out.toString();
  }

  private static String header(String what) {
    return "# "
        + what
        + " of Refinery, written by the build from the code"
        + " (dev.refinery.infra.KubernetesManifests): do not edit.\n";
  }

  /** Writes {@code topics.yaml} and {@code users.yaml} into the folder named by the argument. */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("topics.yaml"), topicsYaml(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("users.yaml"), usersYaml(), StandardCharsets.UTF_8);
  }
}
