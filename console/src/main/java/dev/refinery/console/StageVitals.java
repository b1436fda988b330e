package dev.refinery.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples, every {@code console.refresh.ms}: the end offsets of Refinery's topics (their rates are
 * the stages' throughput), every consumer group's lag (how far behind a stage is), and each
 * service's {@code /health}.
 */
final class StageVitals implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StageVitals.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SAMPLES_KEPT = 300;

  private record Sample(Instant at, Map<String, Long> ends) {}

  private record Health(boolean up, int status, String detail) {}

  private final ConsoleConfig config;
  private final Admin admin;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "console-vitals"));

  // guarded by this
  private final Deque<Sample> samples = new ArrayDeque<>();
  private final Map<String, Map<String, Long>> lag = new TreeMap<>(); // group -> topic -> lag
  private final Map<String, Health> services = new LinkedHashMap<>();
  private String kafkaError;

  StageVitals(ConsoleConfig config) {
    this.config = config;
    this.admin =
        Admin.create(
            config
                .kafka()
                .admin(
                    Map.of(
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000)));
  }

  StageVitals start() {
    timer.scheduleWithFixedDelay(this::sample, 0, config.refreshMs(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void sample() {
    try {
      Map<TopicPartition, Long> ends = ends();
      Map<String, Long> byTopic = new TreeMap<>();
      ends.forEach((tp, end) -> byTopic.merge(tp.topic(), end, Long::sum));
      Map<String, Map<String, Long>> lags = lags(ends);
      synchronized (this) {
        samples.addLast(new Sample(Instant.now(), byTopic));
        while (samples.size() > SAMPLES_KEPT) {
          samples.removeFirst();
        }
        lag.clear();
        lag.putAll(lags);
        kafkaError = null;
      }
    } catch (Exception e) {
      synchronized (this) {
        kafkaError = e.getMessage();
      }
      LOG.debug("sampling offsets failed", e);
    }
    Map<String, Health> health = new LinkedHashMap<>();
    config.services().forEach((name, base) -> health.put(name, probe(name, base)));
    synchronized (this) {
      services.clear();
      services.putAll(health);
    }
  }

  private Map<TopicPartition, Long> ends() throws Exception {
    Set<String> names = admin.listTopics().names().get(5, TimeUnit.SECONDS);
    List<String> watched =
        names.stream()
            .filter(
                n ->
                    n.startsWith("corpus.")
                        || n.startsWith("tokens.")
                        || n.startsWith("feedback.")
                        || n.startsWith("trainer.")
                        || n.startsWith("ingest."))
            .toList();
    Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
    admin
        .describeTopics(watched)
        .allTopicNames()
        .get(5, TimeUnit.SECONDS)
        .forEach(
            (topic, description) -> {
              for (TopicPartitionInfo p : description.partitions()) {
                specs.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
              }
            });
    Map<TopicPartition, Long> ends = new HashMap<>();
    admin
        .listOffsets(specs)
        .all()
        .get(5, TimeUnit.SECONDS)
        .forEach((tp, info) -> ends.put(tp, info.offset()));
    return ends;
  }

  private Map<String, Map<String, Long>> lags(Map<TopicPartition, Long> ends) throws Exception {
    Map<String, Map<String, Long>> lags = new TreeMap<>();
    Collection<GroupListing> groups = admin.listGroups().all().get(5, TimeUnit.SECONDS);
    for (GroupListing group : groups) {
      if (group.type().isPresent()
          && group.type().get() != GroupType.CONSUMER
          && group.type().get() != GroupType.CLASSIC) {
        continue;
      }
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(group.groupId())
              .partitionsToOffsetAndMetadata()
              .get(5, TimeUnit.SECONDS);
      Map<String, Long> byTopic = new TreeMap<>();
      committed.forEach(
          (tp, om) -> {
            Long end = ends.get(tp);
            if (om != null && end != null) {
              byTopic.merge(tp.topic(), Math.max(0, end - om.offset()), Long::sum);
            }
          });
      if (!byTopic.isEmpty()) {
        lags.put(group.groupId(), byTopic);
      }
    }
    return lags;
  }

  private Health probe(String name, String base) {
    // Flink's Prometheus reporter serves metrics only
    String path = name.equals("tokenizer") ? "/metrics" : "/health";
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + path))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      String body = r.body();
      return new Health(
          r.statusCode() == 200,
          r.statusCode(),
          path.equals("/health") ? body.trim() : "metrics served");
    } catch (Exception e) {
      return new Health(
          false, 0, "no answer from " + base + path + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** Total records of a topic now. */
  synchronized long end(String topic) {
    return samples.isEmpty() ? 0 : samples.getLast().ends().getOrDefault(topic, 0L);
  }

  synchronized ObjectNode throughput() {
    ObjectNode out = JSON.createObjectNode();
    ArrayNode series = out.putArray("samples");
    Sample previous = null;
    for (Sample s : samples) {
      if (previous != null) {
        double seconds = Duration.between(previous.at(), s.at()).toMillis() / 1000.0;
        ObjectNode point = series.addObject().put("t", s.at().toString());
        ObjectNode rates = point.putObject("rates");
        for (Map.Entry<String, Long> e : s.ends().entrySet()) {
          long before = previous.ends().getOrDefault(e.getKey(), e.getValue());
          rates.put(e.getKey(), seconds > 0 ? Math.max(0, e.getValue() - before) / seconds : 0);
        }
      }
      previous = s;
    }
    ObjectNode totals = out.putObject("records");
    if (!samples.isEmpty()) {
      samples.getLast().ends().forEach(totals::put);
    }
    return out;
  }

  synchronized ObjectNode lag() {
    ObjectNode out = JSON.createObjectNode();
    lag.forEach(
        (group, topics) -> {
          ObjectNode g = out.putObject(group);
          long total = topics.values().stream().mapToLong(Long::longValue).sum();
          g.put("total", total);
          g.put("behind", total > config.lagBehind());
          ObjectNode t = g.putObject("topics");
          topics.forEach(t::put);
        });
    return out;
  }

  /** Which services answer and which groups are behind; {@code healthy} when all is well. */
  synchronized ObjectNode health() {
    ObjectNode out = JSON.createObjectNode();
    boolean healthy = kafkaError == null && !samples.isEmpty();
    out.put(
        "kafka",
        kafkaError == null
            ? (samples.isEmpty() ? "not sampled yet" : "up")
            : "down: " + kafkaError);
    ArrayNode list = out.putArray("services");
    for (Map.Entry<String, Health> e : services.entrySet()) {
      list.addObject()
          .put("service", e.getKey())
          .put("url", config.services().get(e.getKey()))
          .put("up", e.getValue().up())
          .put("status", e.getValue().status())
          .put("detail", e.getValue().detail());
      healthy &= e.getValue().up();
    }
    ArrayNode groups = out.putArray("groups");
    for (Map.Entry<String, Map<String, Long>> e : lag.entrySet()) {
      long total = e.getValue().values().stream().mapToLong(Long::longValue).sum();
      boolean behind = total > config.lagBehind();
      groups.addObject().put("group", e.getKey()).put("lag", total).put("behind", behind);
      healthy &= !behind;
    }
    out.put("healthy", healthy);
    out.put("lag_behind_records", config.lagBehind());
    return out;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }
}
