package dev.refinery.infra;

import dev.refinery.runtime.config.Replication;
import dev.refinery.schemas.TopicBinding;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the catalog's topics with the AdminClient, idempotently: a topic that exists as the
 * catalog describes it is left alone, so running twice changes nothing. A topic whose cleanup or
 * retention drifted is set back to the catalog's values. A topic with fewer partitions than the
 * catalog asks for is reported, not changed: adding partitions remaps keys, which an operator must
 * choose.
 *
 * <p>Topics are created with the configured {@link Replication} (replication factor and {@code
 * min.insync.replicas}), never the broker's defaults. An existing topic whose replication factor
 * differs is reported; one whose configs (min ISR included) differ is set back to the catalog's
 * only under {@link Drift#ALTER}, and under {@link Drift#REFUSE} provisioning fails, listing every
 * difference and what to do.
 */
public final class TopicProvisioner {
  private static final long TIMEOUT_S = 60;
  private static final String MIN_ISR = "min.insync.replicas";

  private final Admin admin;
  private final Replication replication;
  private final Drift drift;

  /** What to do about an existing topic that differs from the catalog. */
  public enum Drift {
    /** Report it and fail: an operator decides (the default on a cluster of one's own). */
    REFUSE,
    /** Set its configs back to the catalog's (the embedded broker, or {@code --alter}). */
    ALTER
  }

  /** Default replication, configs set back: the embedded broker's and the tests' provisioner. */
  public TopicProvisioner(Admin admin) {
    this(admin, Replication.AUTO, Drift.ALTER);
  }

  public TopicProvisioner(Admin admin, Replication replication, Drift drift) {
    this.admin = admin;
    this.replication = replication;
    this.drift = drift;
  }

  /** What provisioning did to each topic. */
  public enum Outcome {
    CREATED,
    UNCHANGED,
    CONFIG_UPDATED,
    CONFIG_DIFFERS,
    PARTITIONS_DIFFER,
    REPLICATION_DIFFERS
  }

  /** One line of the report. */
  public record Result(String topic, Outcome outcome, String detail) {}

  /** Brings every binding's topic to the catalog's description; results in the given order. */
  public List<Result> provision(Collection<? extends TopicBinding<?, ?>> bindings) {
    Map<String, TopicBinding<?, ?>> wanted = new LinkedHashMap<>();
    bindings.forEach(b -> wanted.put(b.name(), b));
    try {
      Replication copies = replication.resolve(admin);
      Set<String> existing = admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS);
      List<NewTopic> toCreate = new ArrayList<>();
      for (TopicBinding<?, ?> binding : wanted.values()) {
        if (!existing.contains(binding.name())) {
          toCreate.add(
              new NewTopic(
                      binding.name(),
                      Optional.of(binding.partitions()),
                      Optional.of((short) copies.factor()))
                  .configs(configs(binding, copies)));
        }
      }
      Map<String, Result> results = new LinkedHashMap<>();
      var created = admin.createTopics(toCreate).values();
      for (var entry : created.entrySet()) {
        try {
          entry.getValue().get(TIMEOUT_S, TimeUnit.SECONDS);
          TopicBinding<?, ?> b = wanted.get(entry.getKey());
          results.put(
              entry.getKey(),
              new Result(
                  entry.getKey(),
                  Outcome.CREATED,
                  b.partitions()
                      + " partitions, "
                      + copies.factor()
                      + " replicas, "
                      + configs(b, copies)));
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
          // created by someone else meanwhile: check it like any existing topic below
        }
      }
      awaitLeaders(results.keySet(), wanted);
      List<String> toCheck = wanted.keySet().stream().filter(t -> !results.containsKey(t)).toList();
      results.putAll(check(toCheck, wanted, copies));
      List<Result> ordered = new ArrayList<>();
      wanted.keySet().forEach(t -> ordered.add(results.get(t)));
      List<Result> differing =
          ordered.stream()
              .filter(
                  r ->
                      r.outcome() == Outcome.CONFIG_DIFFERS
                          || r.outcome() == Outcome.REPLICATION_DIFFERS)
              .toList();
      if (drift == Drift.REFUSE && !differing.isEmpty()) {
        throw new IllegalStateException(
            "topics differ from the catalog: "
                + differing.stream().map(r -> r.topic() + ": " + r.detail()).toList()
                + ". Run `refinery topics --alter` to set their configs; a replication factor"
                + " changes by a partition reassignment (kafka-reassign-partitions), or set "
                + Replication.FACTOR
                + " to what the topics have");
      }
      return ordered;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while provisioning topics", e);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException("cannot provision topics: " + cause, cause);
    }
  }

  /** The catalog's configs of a topic, with its min ISR. */
  private static Map<String, String> configs(TopicBinding<?, ?> binding, Replication copies) {
    Map<String, String> configs = new LinkedHashMap<>(binding.configs());
    configs.put(MIN_ISR, Integer.toString(copies.minInsyncReplicas()));
    return configs;
  }

  private Map<String, Result> check(
      List<String> topics, Map<String, TopicBinding<?, ?>> wanted, Replication copies)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<String, Result> results = new LinkedHashMap<>();
    if (topics.isEmpty()) {
      return results;
    }
    Map<String, TopicDescription> descriptions =
        admin.describeTopics(topics).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
    List<ConfigResource> resources =
        topics.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
    Map<ConfigResource, Config> configs =
        admin.describeConfigs(resources).all().get(TIMEOUT_S, TimeUnit.SECONDS);

    Map<ConfigResource, Collection<AlterConfigOp>> alterations = new LinkedHashMap<>();
    for (ConfigResource resource : resources) {
      String topic = resource.name();
      TopicBinding<?, ?> binding = wanted.get(topic);
      List<AlterConfigOp> ops = new ArrayList<>();
      List<String> drift = new ArrayList<>();
      for (var setting : configs(binding, copies).entrySet()) {
        ConfigEntry actual = configs.get(resource).get(setting.getKey());
        if (actual == null || !setting.getValue().equals(actual.value())) {
          drift.add(
              setting.getKey()
                  + " "
                  + (actual == null ? "unset" : actual.value())
                  + " -> "
                  + setting.getValue());
          ops.add(
              new AlterConfigOp(
                  new ConfigEntry(setting.getKey(), setting.getValue()), AlterConfigOp.OpType.SET));
        }
      }
      int partitions = descriptions.get(topic).partitions().size();
      int replicas = descriptions.get(topic).partitions().get(0).replicas().size();
      if (replicas != copies.factor()) {
        results.put(
            topic,
            new Result(
                topic,
                Outcome.REPLICATION_DIFFERS,
                replicas
                    + " replicas, "
                    + Replication.FACTOR
                    + " is "
                    + copies.factor()
                    + (ops.isEmpty() ? "" : "; and " + String.join(", ", drift))));
        if (this.drift == Drift.ALTER && !ops.isEmpty()) {
          alterations.put(resource, ops);
        }
      } else if (!ops.isEmpty() && this.drift == Drift.REFUSE) {
        results.put(topic, new Result(topic, Outcome.CONFIG_DIFFERS, String.join(", ", drift)));
      } else if (!ops.isEmpty()) {
        alterations.put(resource, ops);
        results.put(topic, new Result(topic, Outcome.CONFIG_UPDATED, String.join(", ", drift)));
      } else if (partitions < binding.partitions()) {
        results.put(
            topic,
            new Result(
                topic,
                Outcome.PARTITIONS_DIFFER,
                "has "
                    + partitions
                    + " partitions, the catalog asks for "
                    + binding.partitions()
                    + "; left as is, since adding partitions remaps keys"));
      } else {
        results.put(topic, new Result(topic, Outcome.UNCHANGED, partitions + " partitions"));
      }
    }
    if (!alterations.isEmpty()) {
      admin.incrementalAlterConfigs(alterations).all().get(TIMEOUT_S, TimeUnit.SECONDS);
      awaitConfigs(alterations.keySet(), wanted, copies);
    }
    return results;
  }

  /**
   * A created topic is in the metadata log before its leaders have taken their partitions on: until
   * then a produce gets NOT_LEADER_OR_FOLLOWER, and an idempotent producer that pipelines batches
   * can have a later batch accepted before the refused first one, which it then retries as out of
   * order until its delivery timeout drops the records. Provisioning returns when every new
   * partition answers a ListOffsets from its leader, which the Admin client retries until it does.
   */
  private void awaitLeaders(Collection<String> topics, Map<String, TopicBinding<?, ?>> wanted)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<TopicPartition, OffsetSpec> partitions = new LinkedHashMap<>();
    for (String topic : topics) {
      for (int p = 0; p < wanted.get(topic).partitions(); p++) {
        partitions.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
    }
    if (partitions.isEmpty()) {
      return;
    }
    // right after the creation the admin client may not see the topic in its metadata yet
    // (UNKNOWN_TOPIC_OR_PARTITION, which it does not retry): ask again until it does
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
    awaitDescribed(topics, wanted, deadline);
    while (true) {
      try {
        admin.listOffsets(partitions).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  /**
   * Waits until the broker asked describes every new topic with all its partitions led, or the
   * deadline. ListOffsets's lookup of the leaders, asked of a broker that does not know a topic
   * yet, logs an ERROR with a stack trace for it ("Received unknown topic error", a screenful on a
   * fresh cluster) before provisioning asks again; DescribeTopics says the same without a log line.
   */
  private void awaitDescribed(
      Collection<String> topics, Map<String, TopicBinding<?, ?>> wanted, long deadline)
      throws InterruptedException, ExecutionException, TimeoutException {
    while (System.nanoTime() < deadline) {
      try {
        Map<String, TopicDescription> described =
            admin.describeTopics(topics).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
        if (described.values().stream()
            .allMatch(
                d ->
                    d.partitions().size() >= wanted.get(d.name()).partitions()
                        && d.partitions().stream().allMatch(p -> p.leader() != null))) {
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
      }
      Thread.sleep(50);
    }
  }

  /** Config changes reach the brokers through the metadata log: wait until they read back. */
  private void awaitConfigs(
      Set<ConfigResource> resources, Map<String, TopicBinding<?, ?>> wanted, Replication copies)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
    while (true) {
      Map<ConfigResource, Config> configs =
          admin.describeConfigs(resources).all().get(TIMEOUT_S, TimeUnit.SECONDS);
      boolean applied =
          resources.stream()
              .allMatch(
                  r ->
                      configs(wanted.get(r.name()), copies).entrySet().stream()
                          .allMatch(
                              c ->
                                  configs.get(r).get(c.getKey()) != null
                                      && c.getValue()
                                          .equals(configs.get(r).get(c.getKey()).value())));
      if (applied) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException(
            "topic configs of " + resources + " did not take effect in " + TIMEOUT_S + " s");
      }
      Thread.sleep(50);
    }
  }
}
