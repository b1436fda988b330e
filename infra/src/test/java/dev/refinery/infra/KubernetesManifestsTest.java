package dev.refinery.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.refinery.schemas.TopicBinding;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.KafkaUserScramSha512ClientAuthentication;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import io.strimzi.api.kafka.model.user.acl.AclRuleClusterResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleGroupResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTopicResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTransactionalIdResource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests in deploy/kubernetes read as the operators read them: every document is
 * parsed into the Strimzi operator's published model (Kafka, KafkaNodePool, KafkaTopic, KafkaUser)
 * or Kubernetes' own (Deployment, StatefulSet, Pod), failing on a field the model does not know;
 * the topics and users are the catalog's and {@link StageAcls}'; every service is probed on /health
 * at the port it listens on, and the settings it reads let it answer there.
 */
class KubernetesManifestsTest {
  private static final Path DIR = Path.of("deploy", "kubernetes");
  private static final ObjectMapper STRICT =
      new ObjectMapper(new YAMLFactory())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  /** Each Refinery container's name, and the prefix of its service's settings. */
  private static final Map<String, String> SETTINGS_PREFIX =
      Map.of(
          "ingest", "ingest.",
          "dedup-filter", "dedup.",
          "feedback", "feedback.",
          "console", "console.",
          "trainer-bridge", "bridge.");

  private static List<JsonNode> documents(String file) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (var parser = new YAMLMapper().createParser(Files.readString(DIR.resolve(file)))) {
      var it = new YAMLMapper().readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && !doc.isEmpty()) {
          docs.add(doc);
        }
      }
    }
    return docs;
  }

  private static <T> T as(JsonNode doc, Class<T> type) throws IOException {
    return STRICT.treeToValue(doc, type);
  }

  @Test
  void theClusterIsKraftWithTlsScramAndTheSimpleAuthorizer() throws Exception {
    List<JsonNode> docs = documents("strimzi/kafka.yaml");
    KafkaNodePool pool = as(docs.get(0), KafkaNodePool.class);
    Kafka kafka = as(docs.get(1), Kafka.class);
    assertThat(pool.getSpec().getReplicas()).isEqualTo(3);
    assertThat(kafka.getMetadata().getAnnotations()).containsEntry("strimzi.io/kraft", "enabled");
    assertThat(kafka.getSpec().getKafka().getListeners())
        .singleElement()
        .satisfies(
            l -> {
              assertThat(l.isTls()).isTrue();
              assertThat(l.getAuth().getType()).isEqualTo("scram-sha-512");
            });
    assertThat(kafka.getSpec().getKafka().getAuthorization().getType()).isEqualTo("simple");
  }

  @Test
  void theTopicsAreTheCatalogsWithThreeReplicasAndMinIsrTwo() throws Exception {
    Map<String, KafkaTopic> topics = new HashMap<>();
    for (JsonNode doc : documents("strimzi/topics.yaml")) {
      KafkaTopic t = as(doc, KafkaTopic.class);
      topics.put(t.getSpec().getTopicName(), t);
    }
    List<TopicBinding<?, ?>> catalog = KubernetesManifests.topics();
    assertThat(topics.keySet())
        .containsExactlyInAnyOrderElementsOf(catalog.stream().map(TopicBinding::name).toList());
    for (TopicBinding<?, ?> binding : catalog) {
      KafkaTopic t = topics.get(binding.name());
      assertThat(t.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", "refinery");
      assertThat(t.getSpec().getPartitions()).isEqualTo(binding.partitions());
      assertThat(t.getSpec().getReplicas()).isEqualTo(3);
      Map<String, String> config = new HashMap<>();
      t.getSpec().getConfig().forEach((k, v) -> config.put(k, String.valueOf(v)));
      assertThat(config).containsAllEntriesOf(binding.configs());
      assertThat(config).containsEntry("min.insync.replicas", "2");
    }
  }

  @Test
  void eachStageHasAScramUserWithExactlyItsAcls() throws Exception {
    Map<String, KafkaUser> users = new HashMap<>();
    for (JsonNode doc : documents("strimzi/users.yaml")) {
      KafkaUser u = as(doc, KafkaUser.class);
      users.put(u.getMetadata().getName(), u);
    }
    assertThat(users.keySet())
        .containsExactlyInAnyOrderElementsOf(KubernetesManifests.USERS.values());
    for (var e : KubernetesManifests.USERS.entrySet()) {
      KafkaUser user = users.get(e.getValue());
      assertThat(user.getSpec().getAuthentication())
          .isInstanceOf(KafkaUserScramSha512ClientAuthentication.class);
      Set<String> granted = new TreeSet<>();
      for (AclRule rule :
          ((KafkaUserAuthorizationSimple) user.getSpec().getAuthorization()).getAcls()) {
        for (var op : rule.getOperations()) {
          granted.add(describe(rule) + " " + op.name().toUpperCase(Locale.ROOT).replace("_", ""));
        }
      }
      Set<String> expected = new TreeSet<>();
      for (AclBinding b : StageAcls.of(e.getKey(), "User:" + e.getValue(), null)) {
        expected.add(
            b.pattern().resourceType().name().toLowerCase(Locale.ROOT).replace("_", "")
                + ":"
                + (b.pattern().resourceType().name().equals("CLUSTER")
                    ? ""
                    : b.pattern().name()
                        + ":"
                        + b.pattern().patternType().name().toLowerCase(Locale.ROOT))
                + " "
                + b.entry().operation().name().replace("_", ""));
      }
      // Strimzi spells Kafka's PREFIXED pattern "prefix"
      Set<String> spelled = new TreeSet<>();
      expected.forEach(x -> spelled.add(x.replace(":prefixed ", ":prefix ")));
      assertThat(granted).as(e.getValue()).isEqualTo(spelled);
    }
  }

  private static String describe(AclRule rule) {
    var r = rule.getResource();
    if (r instanceof AclRuleTopicResource t) {
      return "topic:" + t.getName() + ":" + t.getPatternType().toValue();
    }
    if (r instanceof AclRuleGroupResource g) {
      return "group:" + g.getName() + ":" + g.getPatternType().toValue();
    }
    if (r instanceof AclRuleTransactionalIdResource x) {
      return "transactionalid:" + x.getName() + ":" + x.getPatternType().toValue();
    }
    if (r instanceof AclRuleClusterResource) {
      return "cluster:";
    }
    throw new AssertionError("unexpected resource " + r);
  }

  @Test
  void everyServiceIsProbedOnHealthWhereItListensOnEveryInterface() throws Exception {
    List<JsonNode> docs = documents("refinery/refinery.yaml");
    String properties = docs.get(0).path("data").path("refinery.properties").asText();
    List<PodSpec> pods = pods(docs);
    int probed = 0;
    for (PodSpec pod : pods) {
      for (Container c : pod.getContainers()) {
        if (!c.getImage().startsWith("refinery/")) {
          continue;
        }
        probed++;
        int port = c.getPorts().get(0).getContainerPort();
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health");
        assertThat(c.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(port);
        assertThat(properties)
            .as("%s listens beyond loopback, for the kubelet's probes", c.getName())
            .contains(SETTINGS_PREFIX.get(c.getName()) + "http.host=0.0.0.0");
      }
    }
    assertThat(probed).isEqualTo(5);
    assertThat(properties)
        .contains("kafka.security.protocol=SASL_SSL", "topics.replication.factor=3");
  }

  /**
   * Every service has a memory limit, and requests what it is limited to: without one the image's
   * heap (75 % of the memory the JVM sees) is sized from the node's, and a console that allocates
   * fast grew to 3 GB of RSS here with 28 MB live. The limit holds the heap, RocksDB's budget where
   * the stage has stores, and 512 MiB for the JVM's own; a heap holds the request bodies its
   * service may have in hand four times over (a body and what is decoded from it: ingest's heap
   * held 1 GB after young collections with four 60 MB pushes in hand).
   */
  @Test
  void everyServicesMemoryLimitHoldsItsHeapItsRocksDbBudgetAndTheJvmsOwn() throws Exception {
    List<JsonNode> docs = documents("refinery/refinery.yaml");
    var properties = new java.util.Properties();
    properties.load(
        new java.io.StringReader(docs.get(0).path("data").path("refinery.properties").asText()));
    Set<String> withStores = Set.of("dedup.", "feedback.");
    Set<String> takingBodies = Set.of("ingest.", "feedback.", "console.", "bridge.");
    Set<String> checked = new TreeSet<>();
    for (PodSpec pod : pods(docs)) {
      for (Container c : pod.getContainers()) {
        if (!c.getImage().startsWith("refinery/")) {
          continue;
        }
        String prefix = SETTINGS_PREFIX.get(c.getName());
        String heapOption =
            c.getEnv() == null
                ? ""
                : c.getEnv().stream()
                    .filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS"))
                    .map(e -> e.getValue())
                    .findFirst()
                    .orElse("");
        assertThat(heapOption).as("%s sets its heap", c.getName()).matches(".*-Xmx\\d+[gGmM].*");
        String[] size = heapOption.replaceAll(".*-Xmx(\\d+)([gGmM]).*", "$1 $2").split(" ");
        long heap = Long.parseLong(size[0]) << (size[1].equalsIgnoreCase("g") ? 30 : 20);
        assertThat(c.getResources()).as("%s has resources", c.getName()).isNotNull();
        var requests = c.getResources().getRequests();
        var limits = c.getResources().getLimits();
        assertThat(requests).as("%s requests CPU", c.getName()).containsKey("cpu");
        assertThat(limits).as("%s has a memory limit", c.getName()).containsKey("memory");
        assertThat(requests.get("memory"))
            .as("%s requests the memory it is limited to", c.getName())
            .isEqualTo(limits.get("memory"));
        long budget = 0;
        if (withStores.contains(prefix)) {
          budget = Long.parseLong(properties.getProperty(prefix + "rocksdb.memory.bytes", "0"));
          assertThat(budget)
              .as("%s's RocksDB has a budget in the cluster", c.getName())
              .isPositive();
        }
        if (takingBodies.contains(prefix)) {
          String bodies = properties.getProperty(prefix + "http.max.bodies.bytes");
          assertThat(bodies).as("%s's bodies in hand are bounded", c.getName()).isNotNull();
          assertThat(heap).isGreaterThanOrEqualTo(4 * Long.parseLong(bodies));
        }
        long limit =
            io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(limits.get("memory"))
                .longValueExact();
        assertThat(limit).as(c.getName()).isGreaterThanOrEqualTo(heap + budget + (512L << 20));
        checked.add(c.getName());
      }
    }
    assertThat(checked).containsExactlyInAnyOrderElementsOf(SETTINGS_PREFIX.keySet());
  }

  private static List<PodSpec> pods(List<JsonNode> docs) throws IOException {
    List<PodSpec> pods = new ArrayList<>();
    for (JsonNode doc : docs.subList(1, docs.size())) {
      switch (doc.path("kind").asText()) {
        case "Deployment" -> pods.add(as(doc, Deployment.class).getSpec().getTemplate().getSpec());
        case "StatefulSet" ->
            pods.add(as(doc, StatefulSet.class).getSpec().getTemplate().getSpec());
        case "Pod" -> pods.add(as(doc, Pod.class).getSpec());
        case "Service" -> as(doc, Service.class);
        default -> throw new AssertionError("unexpected " + doc.path("kind"));
      }
    }
    return pods;
  }

  /**
   * ingest scales out: each pod's transactional ids are its name's, which a StatefulSet keeps
   * across restarts (a restarted pod aborts what its killed run left open) and gives no two pods at
   * once (pods that share ids fence each other's pushes in turn). The names are within the ingest
   * user's transactional id prefix, and a Service spreads the pushes over the pods.
   */
  @Test
  void eachIngestPodTakesItsNameAsItsTransactionalIds() throws Exception {
    List<JsonNode> docs = documents("refinery/refinery.yaml");
    assertThat(docs.get(0).path("data").path("refinery.properties").asText())
        .as("one id in the shared configuration would be every pod's")
        .doesNotContain("ingest.transactional.id");
    StatefulSet ingest = null;
    Service service = null;
    for (JsonNode doc : docs) {
      if (doc.path("metadata").path("name").asText().equals("refinery-ingest")) {
        switch (doc.path("kind").asText()) {
          case "StatefulSet" -> ingest = as(doc, StatefulSet.class);
          case "Service" -> service = as(doc, Service.class);
          default -> throw new AssertionError("ingest as a " + doc.path("kind"));
        }
      }
    }
    assertThat(ingest).as("ingest is a StatefulSet").isNotNull();
    assertThat(ingest.getSpec().getReplicas()).isGreaterThan(1);
    Container container = ingest.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getEnv())
        .filteredOn(e -> e.getName().equals("REFINERY_INGEST_TRANSACTIONAL_ID"))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.getValueFrom().getFieldRef().getFieldPath())
                    .isEqualTo("metadata.name"));
    String prefix =
        StageAcls.of(StageAcls.Stage.INGEST, "User:refinery-ingest", null).stream()
            .filter(b -> b.pattern().resourceType() == ResourceType.TRANSACTIONAL_ID)
            .map(b -> b.pattern().name())
            .findFirst()
            .orElseThrow();
    // a pod's name is the StatefulSet's and its ordinal
    assertThat(ingest.getMetadata().getName()).startsWith(prefix);

    assertThat(service).as("a Service before ingest's pods").isNotNull();
    assertThat(service.getSpec().getSelector())
        .isEqualTo(ingest.getSpec().getTemplate().getMetadata().getLabels());
    assertThat(service.getSpec().getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getTargetPort().getStrVal())
                  .isEqualTo(container.getPorts().get(0).getName());
              assertThat(p.getPort()).isEqualTo(container.getPorts().get(0).getContainerPort());
            });
  }

  @Test
  void theTokenizerRunsItsJobJarOnTheFlinkOperator() throws Exception {
    JsonNode flink = documents("flink/tokenizer.yaml").get(0);
    assertThat(flink.path("apiVersion").asText()).isEqualTo("flink.apache.org/v1beta1");
    assertThat(flink.path("kind").asText()).isEqualTo("FlinkDeployment");
    assertThat(flink.path("spec").path("flinkVersion").asText()).isEqualTo("v2_2");
    JsonNode job = flink.path("spec").path("job");
    assertThat(job.path("jarURI").asText()).endsWith("/refinery-tokenizer-job.jar");
    assertThat(job.path("entryClass").asText()).isEqualTo("dev.refinery.tokenizer.TokenizerJob");
    assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");
    assertThat(flink.path("spec").path("flinkConfiguration").path("state.checkpoints.dir").asText())
        .isNotBlank();
  }
}
