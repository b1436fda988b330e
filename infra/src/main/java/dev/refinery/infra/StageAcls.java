package dev.refinery.infra;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The Kafka ACLs of least privilege for each stage's principal, on a cluster whose authorizer
 * denies what is not allowed: what it reads, what it writes, its consumer group, its transactional
 * ids and (Kafka Streams stages) its internal topics, by the default names (application ids, group
 * ids, transactional id prefixes); nothing else. {@code docs/operations.md} lists them as a table;
 * {@code refinery acls} prints or applies them; {@code SecuredClusterIT} runs the pipeline under
 * them.
 */
public final class StageAcls {
  private StageAcls() {}

  /** A stage, as its principal needs rights. */
  public enum Stage {
    INGEST,
    DEDUP_FILTER,
    TOKENIZER,
    TRAINER_BRIDGE,
    FEEDBACK,
    CONSOLE,
    /** A reader of every topic: {@code refinery audit}, {@code rejections}, {@code lineage}. */
    AUDITOR;

    public static Stage parse(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
  }

  /**
   * The bindings for a principal ({@code User:refinery-ingest}) of a stage, on any host.
   *
   * @param applicationId the Streams application id, group id or transactional id prefix of the
   *     stage, where it has one; {@code null} for its default
   */
  public static List<AclBinding> of(Stage stage, String principal, String applicationId) {
    Rights r = new Rights(principal);
    switch (stage) {
      case INGEST -> {
        r.write("corpus.raw.v1", "corpus.rejected.v1", "corpus.images.v1", "ingest.progress.v1");
        r.read("ingest.progress.v1");
        r.describeTopics("tokens.");
        r.transactions(or(applicationId, "refinery-ingest"));
        r.cluster(AclOperation.DESCRIBE);
      }
      case DEDUP_FILTER -> {
        String app = or(applicationId, "refinery-dedup-filter");
        r.read("corpus.raw.v1", "corpus.takedowns.v1");
        r.write("corpus.clean.v1", "corpus.rejected.v1");
        r.streamsApplication(app);
      }
      case TOKENIZER -> {
        String id = or(applicationId, "refinery-tokenizer");
        r.read("corpus.clean.v1", "feedback.rm-pairs.v1");
        r.group(id);
        r.group(id + "-preference");
        r.writePrefixed("tokens.");
        r.write("corpus.rejected.v1");
        // the sinks' pooled transactional ids: on a restore they look for transactions left open
        // on their topics (DescribeProducers), which the broker allows to readers of the topic
        r.readPrefixed("tokens.");
        r.read("corpus.rejected.v1");
        r.transactions(id);
      }
      case TRAINER_BRIDGE -> {
        r.readPrefixed("tokens.");
        r.read(
            "trainer.checkpoints.v1",
            "corpus.takedowns.v1",
            "corpus.images.v1",
            "feedback.rm-pairs.v1");
        r.write("trainer.metrics.v1", "trainer.checkpoints.v1", "corpus.rejected.v1");
      }
      case FEEDBACK -> {
        String app = or(applicationId, "refinery-feedback");
        r.read(
            "feedback.samples.v1",
            "feedback.preferences.v1",
            "feedback.label-deletions.v1",
            "feedback.rbrm.v1");
        r.write(
            "feedback.samples.v1",
            "feedback.preferences.v1",
            "feedback.label-deletions.v1",
            "feedback.rbrm.v1",
            "feedback.rm-pairs.v1",
            "feedback.labeler-stats.v1",
            "corpus.rejected.v1");
        r.streamsApplication(app);
        r.transactions("refinery-feedback-gateway");
      }
      case CONSOLE -> {
        for (String prefix :
            new String[] {"corpus.", "tokens.", "trainer.", "feedback.", "ingest."}) {
          r.readPrefixed(prefix);
        }
        r.add(ResourceType.GROUP, "*", PatternType.LITERAL, AclOperation.DESCRIBE);
        r.cluster(AclOperation.DESCRIBE);
      }
      case AUDITOR -> {
        for (String prefix :
            new String[] {"corpus.", "tokens.", "trainer.", "feedback.", "ingest."}) {
          r.readPrefixed(prefix);
        }
      }
    }
    return List.copyOf(r.bindings);
  }

  private static String or(String given, String fallback) {
    return given == null || given.isBlank() ? fallback : given;
  }

  /** Bindings being collected for one principal. */
  private static final class Rights {
    private final String principal;
    private final List<AclBinding> bindings = new ArrayList<>();

    Rights(String principal) {
      if (!principal.contains(":")) {
        throw new IllegalArgumentException(
            "a principal is TYPE:NAME, e.g. User:refinery-ingest, not " + principal);
      }
      this.principal = principal;
    }

    void add(ResourceType type, String name, PatternType pattern, AclOperation operation) {
      AclBinding binding =
          new AclBinding(
              new ResourcePattern(type, name, pattern),
              new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
      if (!bindings.contains(binding)) {
        bindings.add(binding);
      }
    }

    void read(String... topics) {
      for (String t : topics) {
        add(ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.READ);
        add(ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.DESCRIBE);
      }
    }

    void write(String... topics) {
      for (String t : topics) {
        add(ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.WRITE);
        add(ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.DESCRIBE);
      }
    }

    void readPrefixed(String prefix) {
      add(ResourceType.TOPIC, prefix, PatternType.PREFIXED, AclOperation.READ);
      add(ResourceType.TOPIC, prefix, PatternType.PREFIXED, AclOperation.DESCRIBE);
    }

    void writePrefixed(String prefix) {
      add(ResourceType.TOPIC, prefix, PatternType.PREFIXED, AclOperation.WRITE);
      add(ResourceType.TOPIC, prefix, PatternType.PREFIXED, AclOperation.DESCRIBE);
    }

    void describeTopics(String prefix) {
      add(ResourceType.TOPIC, prefix, PatternType.PREFIXED, AclOperation.DESCRIBE);
    }

    void group(String id) {
      add(ResourceType.GROUP, id, PatternType.LITERAL, AclOperation.READ);
      add(ResourceType.GROUP, id, PatternType.LITERAL, AclOperation.DESCRIBE);
    }

    void transactions(String prefix) {
      add(ResourceType.TRANSACTIONAL_ID, prefix, PatternType.PREFIXED, AclOperation.WRITE);
      add(ResourceType.TRANSACTIONAL_ID, prefix, PatternType.PREFIXED, AclOperation.DESCRIBE);
    }

    void cluster(AclOperation operation) {
      add(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL, operation);
    }

    /** A Kafka Streams application: its group, its internal topics, its transactional ids. */
    void streamsApplication(String applicationId) {
      group(applicationId);
      for (AclOperation op :
          new AclOperation[] {
            AclOperation.CREATE,
            AclOperation.READ,
            AclOperation.WRITE,
            AclOperation.DESCRIBE,
            AclOperation.DESCRIBE_CONFIGS,
            AclOperation.ALTER_CONFIGS,
            AclOperation.DELETE
          }) {
        add(ResourceType.TOPIC, applicationId + "-", PatternType.PREFIXED, op);
      }
      transactions(applicationId);
    }
  }
}
