package dev.refinery.dedup;

import static dev.refinery.dedup.Docs.doc;
import static dev.refinery.dedup.Docs.edited;
import static dev.refinery.dedup.Docs.fetched;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.infra.text.SyntheticText;
import dev.refinery.runtime.streams.RocksDbBudget;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** dedup-filter on the real embedded broker, four partitions, RocksDB, exactly_once_v2. */
class DedupFilterIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  @TempDir Path state;

  DedupFilterConfig config(String instance, String applicationId) {
    return new DedupFilterConfig(
        Map.of(
            "bootstrap.servers",
            kafka.bootstrapServers(),
            DedupFilterConfig.APPLICATION_ID,
            applicationId,
            DedupFilterConfig.STATE_DIR,
            state.resolve(instance).toString(),
            DedupFilterConfig.HOLD_MS,
            2_000L,
            DedupFilterConfig.HTTP_PORT,
            0));
  }

  private static long inputLag(org.apache.kafka.clients.admin.Admin admin, String group)
      throws Exception {
    return dev.refinery.runtime.streams.AdminLag.of(
        admin, group, List.of(Topics.CORPUS_RAW.name()), java.time.Duration.ofSeconds(10));
  }

  /** Waits until the cluster counts {@code expected} records waiting for the group. */
  private static void awaitInputLag(String group, long expected) throws Exception {
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(
            Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (inputLag(admin, group) != expected) {
        assertThat(System.nanoTime()).as("input lag reaches %d", expected).isLessThan(deadline);
        Thread.sleep(200);
      }
    }
  }

  @Test
  void everyDocumentEndsCleanOrRejectedOnceAndDedupStateSurvivesARestart() throws Exception {
    List<Document> firstWave = new ArrayList<>();
    List<Document> originals = new ArrayList<>();
    int minute = 0;
    for (int t = 0; t < 30; t++) {
      Document original = fetched(Docs.prose("restart-" + t, 1000 + t), minute++);
      originals.add(original);
      firstWave.add(original);
      firstWave.add(fetched(doc("restart-" + t + "-copy1", original.getText()), minute++));
      firstWave.add(
          fetched(doc("restart-" + t + "-copy2", original.getText().toUpperCase()), minute++));
    }
    for (int t = 0; t < 5; t++) {
      // too short: both copies are rejected by the rules, not as duplicates
      firstWave.add(fetched(doc("restart-short-" + t, "Short text number " + t + "."), minute++));
      firstWave.add(
          fetched(doc("restart-short-" + t + "-copy", "Short text number " + t + "."), minute++));
    }
    List<Document> secondWave = new ArrayList<>();
    for (int t = 0; t < 10; t++) {
      secondWave.add(fetched(doc("restart-late-copy-" + t, originals.get(t).getText()), minute++));
      secondWave.add(fetched(Docs.prose("restart-new-" + t, 2000 + t), minute++));
    }
    // a replay of five first-wave documents: the same records again
    List<Document> replays = firstWave.subList(0, 5);

    try (DedupFilterService service = DedupFilterService.start(config("a", "dedup-restart"))) {
      service.awaitRunning(java.time.Duration.ofSeconds(60));
      assertThat(get(service, "/health")).contains("\"status\":\"UP\"");
      produce(firstWave, -1);
      awaitDecided(ids(firstWave));
      String metrics = get(service, "/metrics");
      assertThat(metrics)
          .contains(
              "refinery_dedup_documents_in_total",
              "refinery_dedup_duplicate_ratio",
              "refinery_dedup_store_entries{store=\"dedup-smallest\"}",
              "kafka_stream_");
      // the cluster's view of the input waiting: nothing, once all is decided and committed
      awaitInputLag("dedup-restart", 0);
      // the writes reach each store's changelog; nothing is left gathering once all is decided
      assertThat(service.changelogRecords())
          .containsOnlyKeys(
              DedupFilterTopology.SMALLEST_STORE,
              DedupFilterTopology.PENDING_STORE,
              DedupFilterTopology.GATHER_STORE,
              DedupFilterTopology.DOCUMENT_STORE)
          .allSatisfy((store, records) -> assertThat(records).isPositive())
          // each original holds at least its exact, URL and replay keys
          .hasEntrySatisfying(
              DedupFilterTopology.SMALLEST_STORE,
              records -> assertThat(records).isGreaterThanOrEqualTo(3L * originals.size()));
      assertThat(service.storeSize(DedupFilterTopology.GATHER_STORE)[0]).isZero();
      assertThat(service.storeSize(DedupFilterTopology.DOCUMENT_STORE)[0]).isZero();
    }
    // while the stage is down, what arrives waits, and the cluster's view counts it
    produce(secondWave, -1);
    produce(replays, -1);
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(
            Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      // (this test writes without transactions: one record a partition is taken for a marker)
      assertThat(inputLag(admin, "dedup-restart"))
          .isGreaterThanOrEqualTo(
              secondWave.size() + replays.size() - Topics.CORPUS_RAW.partitions());
    }
    try (DedupFilterService restarted = DedupFilterService.start(config("a", "dedup-restart"))) {
      awaitDecided(ids(secondWave));
      // the replays are dropped: wait until the stage has counted them
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (restarted.metrics().replaysDropped() < replays.size()) {
        assertThat(System.nanoTime()).as("replays dropped in time").isLessThan(deadline);
        Thread.sleep(100);
      }
    }

    Set<String> ours = ids(firstWave);
    ours.addAll(ids(secondWave));
    Map<String, Integer> outcomes = outcomes(ours);
    assertThat(outcomes)
        .as("each document exactly once, replays included")
        .hasSize(ours.size())
        .allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    List<Document> clean =
        kafka.values(Topics.CORPUS_CLEAN).stream().filter(d -> ours.contains(d.getId())).toList();
    Set<String> survivors = ids(originals);
    secondWave.stream()
        .filter(d -> d.getNativeId().startsWith("restart-new-"))
        .forEach(d -> survivors.add(d.getId()));
    assertThat(clean).extracting(Document::getId).containsExactlyInAnyOrderElementsOf(survivors);
    List<RejectedDocument> rejected = rejected(ours);
    assertThat(rejected.stream().filter(r -> r.getReason().equals("GOPHER_SHORT_DOC"))).hasSize(10);
    List<RejectedDocument> duplicates =
        rejected.stream().filter(r -> r.getReason().equals("EXACT_DUPLICATE")).toList();
    assertThat(duplicates).hasSize(60 + 10);
    assertThat(duplicates).allSatisfy(r -> assertThat(ids(originals)).contains(r.getDupOf()));
  }

  @Test
  void theChangelogAnEarlierBuildWroteIsRestoredAndItsStringKeysAreFound() throws Exception {
    // dedup-smallest's changelog as a build before binary keys wrote it: the encoded key's UTF-8
    // and a member of version 3, in the partition of the key's task; the state directory is empty,
    // so the stage restores the store from it
    String app = "dedup-upgrade";
    Document original = fetched(Docs.prose("upgrade-original", 3000), 0);
    String fingerprint = TextFingerprint.of(original.getText());
    String exact = new DedupKey(DedupKey.Kind.EXACT, 0, fingerprint).encode();
    Member holder =
        new Member(
            Docs.INGESTED.toEpochMilli(),
            original.getId(),
            "0:1",
            TextFingerprint.hash64(fingerprint));
    String changelog = app + "-" + DedupFilterTopology.SMALLEST_STORE + "-changelog";
    createTopics(List.of(changelog), List.of());
    try (KafkaProducer<String, byte[]> producer = producer()) {
      producer
          .send(
              new ProducerRecord<>(
                  changelog,
                  KeyBatch.partitionOf(exact, Topics.CORPUS_RAW.partitions()),
                  exact,
                  holder.toBytes()))
          .get();
    }

    Document copy = fetched(doc("upgrade-copy", original.getText()), 30);
    try (DedupFilterService service = DedupFilterService.start(config("upgrade", app))) {
      service.awaitRunning(java.time.Duration.ofSeconds(60));
      produce(List.of(copy), -1);
      awaitDecided(Set.of(copy.getId()));
    }
    assertThat(rejected(Set.of(copy.getId())))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getReason()).isEqualTo("EXACT_DUPLICATE");
              assertThat(r.getDupOf()).isEqualTo(original.getId());
            });
  }

  /**
   * A build before this one spread documents over the gather topic by their key's hash; this one
   * gathers each in the task of the raw partition it was read from. A document undecided at the
   * upgrade, with two of its three answers still to come (one written by the earlier build, the
   * other by this one), is sent on from where it waited and decided there, once.
   */
  @Test
  void aDocumentAnEarlierBuildLeftUndecidedInAnotherTaskIsDecidedOnce() throws Exception {
    String app = "dedup-regather";
    int partitions = Topics.CORPUS_RAW.partitions();
    int raw = 1;
    // a document whose key's hash is another partition than the one it was read from
    Document doc = null;
    String key = null;
    int hashed = raw;
    for (int i = 0; hashed == raw; i++) {
      doc = fetched(Docs.prose("regather-" + i, 3100 + i), 0);
      key = doc.getId() + "@" + raw + ":0";
      hashed = KeyBatch.partitionOf(key, partitions);
    }
    String id = doc.getId();
    String text = doc.getText();
    assertThat(DedupFilterTopology.gatherPartition(key, partitions)).isEqualTo(raw);
    GatherProcessor.State waiting = new GatherProcessor.State();
    waiting.expected = 3;
    waiting.add(new Gather.Answer(DedupKey.Kind.ID, 0, null, false));
    byte[] document =
        Gather.encode(new Gather.Doc(3, Topics.CORPUS_RAW.serialize(doc), new byte[0]));
    byte[] answer = Gather.encode(new Gather.Answer(DedupKey.Kind.EXACT, 0, null, false));

    String gathering = app + "-" + DedupFilterTopology.GATHER_STORE + "-changelog";
    String documents = app + "-" + DedupFilterTopology.DOCUMENT_STORE + "-changelog";
    String gatherTopic = DedupFilterTopology.gatherTopic(app);
    createTopics(List.of(gathering, documents), List.of(gatherTopic));
    try (KafkaProducer<String, byte[]> producer = producer()) {
      // the earlier build's state, in the partition of the key's hash, and an answer it sent there
      producer.send(new ProducerRecord<>(gathering, hashed, key, waiting.write())).get();
      producer.send(new ProducerRecord<>(documents, hashed, key, document)).get();
      producer.send(new ProducerRecord<>(gatherTopic, hashed, key, answer)).get();
      // and the last answer, as this build sends it: to the document's raw partition
      producer.send(new ProducerRecord<>(gatherTopic, raw, key, answer)).get();
    }

    try (DedupFilterService service = DedupFilterService.start(config("regather", app))) {
      service.awaitRunning(java.time.Duration.ofSeconds(60));
      awaitDecided(Set.of(id));
    }
    assertThat(outcomes(Set.of(id))).containsExactly(Map.entry(id, 1));
    assertThat(kafka.values(Topics.CORPUS_CLEAN))
        .filteredOn(d -> d.getId().equals(id))
        .singleElement()
        .satisfies(d -> assertThat(d.getText()).isEqualTo(text));
  }

  @Test
  void nearDuplicateClustersKeepTheirSmallestMemberWhateverTheArrivalOrder() throws Exception {
    // two instances share the four partitions of corpus.raw.v1 and every internal topic
    try (DedupFilterService one = DedupFilterService.start(config("one", "dedup-order"));
        DedupFilterService two = DedupFilterService.start(config("two", "dedup-order"))) {
      one.awaitRunning(java.time.Duration.ofSeconds(60));
      two.awaitRunning(java.time.Duration.ofSeconds(60));
      for (int round = 0; round < 3; round++) {
        List<List<Document>> clusters = new ArrayList<>();
        for (int c = 0; c < 20; c++) {
          String text = SyntheticText.text(round * 100 + c, 10);
          String name = "order-" + round + "-" + c;
          // event times 0, 1, 2 minutes: member 0 is the smallest
          clusters.add(
              List.of(
                  fetched(doc(name + "-m0", text), 0),
                  fetched(doc(name + "-m1", edited(text, 100)), 1),
                  fetched(doc(name + "-m2", edited(text, 70)), 2)));
        }
        // even clusters arrive largest first, odd ones smallest first; each member through
        // another partition
        try (KafkaProducer<String, byte[]> producer = producer()) {
          for (int c = 0; c < clusters.size(); c++) {
            List<Document> members = clusters.get(c);
            for (int k = 0; k < 3; k++) {
              Document d = members.get(c % 2 == 0 ? 2 - k : k);
              producer.send(
                  new ProducerRecord<>(
                      Topics.CORPUS_RAW.name(),
                      (c + k) % 4,
                      d.getId(),
                      Topics.CORPUS_RAW.serialize(d)));
            }
          }
          producer.flush();
        }
        Set<String> ids = new HashSet<>();
        clusters.forEach(members -> ids.addAll(ids(members)));
        awaitDecided(ids);

        Set<String> clean =
            kafka.values(Topics.CORPUS_CLEAN).stream()
                .map(Document::getId)
                .filter(ids::contains)
                .collect(Collectors.toSet());
        Map<String, RejectedDocument> rejected =
            rejected(ids).stream().collect(Collectors.toMap(RejectedDocument::getDocId, r -> r));
        for (List<Document> members : clusters) {
          assertThat(clean)
              .as(
                  "round %d: the smallest member of %s survives",
                  round, members.get(0).getNativeId())
              .contains(members.get(0).getId())
              .doesNotContain(members.get(1).getId(), members.get(2).getId());
          for (int k = 1; k < 3; k++) {
            RejectedDocument r = rejected.get(members.get(k).getId());
            assertThat(r.getReason()).isEqualTo("NEAR_DUPLICATE");
            assertThat(r.getDupOf())
                .as("a duplicate only of a smaller member")
                .isIn(ids(members.subList(0, k)));
          }
        }
        assertThat(outcomes(ids)).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
      }
    }
  }

  @Test
  void withAMemoryBudgetTheStoresTakeTheirMemoryFromItAndDecideAsWithout() throws Exception {
    // at least 4 MB for each of the 20 stores of four partitions, or the stage warns
    long budget = 96L << 20;
    Map<String, Object> settings = new HashMap<>(config("budget", "dedup-budget").originals());
    settings.put(DedupFilterConfig.ROCKSDB_MEMORY_BYTES, budget);
    List<Document> originals = new ArrayList<>();
    List<Document> copies = new ArrayList<>();
    for (int t = 0; t < 20; t++) {
      originals.add(fetched(Docs.prose("budget-" + t, 4000 + t), 0));
      copies.add(fetched(doc("budget-" + t + "-copy", originals.get(t).getText()), 1));
    }
    try (DedupFilterService service = DedupFilterService.start(new DedupFilterConfig(settings))) {
      service.awaitRunning(java.time.Duration.ofSeconds(60));
      produce(originals, -1);
      produce(copies, -1);
      Set<String> ids = ids(originals);
      ids.addAll(ids(copies));
      awaitDecided(ids);
      assertThat(outcomes(ids)).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
      Map<String, RejectedDocument> rejected =
          rejected(ids).stream().collect(Collectors.toMap(RejectedDocument::getDocId, r -> r));
      for (int t = 0; t < 20; t++) {
        assertThat(rejected).doesNotContainKey(originals.get(t).getId());
        assertThat(rejected.get(copies.get(t).getId()).getDupOf())
            .isEqualTo(originals.get(t).getId());
      }
      // every store's memtables are charged to the budget's cache: without the budget it is empty
      long used = RocksDbBudget.of(budget).cache().getUsage();
      assertThat(used).isPositive().isLessThanOrEqualTo(budget);
      assertThat(service.rocksDbMemory()).isPositive().isLessThanOrEqualTo(budget);
      assertThat(get(service, "/metrics"))
          .contains(
              "refinery_dedup_rocksdb_memory_bytes ",
              "refinery_streams_input_held_partitions{stage=\"dedup-filter\"} 0.0");
    }
  }

  private static Set<String> ids(Collection<Document> docs) {
    return docs.stream().map(Document::getId).collect(Collectors.toCollection(HashSet::new));
  }

  private static List<RejectedDocument> rejected(Set<String> ids) {
    return kafka.values(Topics.CORPUS_REJECTED).stream()
        .filter(r -> ids.contains(r.getDocId()))
        .toList();
  }

  /** How many outcomes (clean or rejected) each of the documents has. */
  private static Map<String, Integer> outcomes(Set<String> ids) {
    Map<String, Integer> seen = new HashMap<>();
    kafka.values(Topics.CORPUS_CLEAN).stream()
        .map(Document::getId)
        .filter(ids::contains)
        .forEach(id -> seen.merge(id, 1, Integer::sum));
    rejected(ids).forEach(r -> seen.merge(r.getDocId(), 1, Integer::sum));
    return seen;
  }

  /**
   * Documents written, in a transaction as ingest writes them, to one partition of four: the other
   * three have nothing to read and the written one is read to its end soon after, so each screening
   * task marks its partition read and the held answers go, long before the longest hold (ten
   * minutes here: awaitDecided gives up after two). With {@code dedup.read.marks=false} this fails.
   */
  @Test
  void partitionsReadToTheirEndHoldNoAnswer() throws Exception {
    Map<String, Object> settings = new HashMap<>(config("marks", "dedup-marks").originals());
    settings.put(DedupFilterConfig.HOLD_MAX_MS, 600_000L);
    try (DedupFilterService service = DedupFilterService.start(new DedupFilterConfig(settings))) {
      service.awaitRunning(java.time.Duration.ofSeconds(60));
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        docs.add(doc("marked-" + i, SyntheticText.text(900 + i, 10)));
      }
      try (KafkaProducer<String, byte[]> producer =
          producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "dedup-it-ingest")) {
        producer.initTransactions();
        producer.beginTransaction();
        for (Document d : docs) {
          producer.send(
              new ProducerRecord<>(
                  Topics.CORPUS_RAW.name(), 0, d.getId(), Topics.CORPUS_RAW.serialize(d)));
        }
        producer.commitTransaction();
      }
      awaitDecided(ids(docs));
      assertThat(outcomes(ids(docs))).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    }
  }

  /**
   * Creates internal topics as the stage would, before it starts: changelogs (compacted) and
   * repartition topics, each with raw's partitions.
   */
  private static void createTopics(List<String> changelogs, List<String> repartition)
      throws Exception {
    List<org.apache.kafka.clients.admin.NewTopic> topics = new ArrayList<>();
    for (String name : changelogs) {
      topics.add(
          new org.apache.kafka.clients.admin.NewTopic(
                  name, Topics.CORPUS_RAW.partitions(), (short) 1)
              .configs(Map.of("cleanup.policy", "compact")));
    }
    for (String name : repartition) {
      topics.add(
          new org.apache.kafka.clients.admin.NewTopic(
              name, Topics.CORPUS_RAW.partitions(), (short) 1));
    }
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(
            Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(topics).all().get();
    }
  }

  private static void awaitDecided(Set<String> ids) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (outcomes(ids).size() < ids.size()) {
      assertThat(System.nanoTime())
          .as("all %d documents decided in time", ids.size())
          .isLessThan(deadline);
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static KafkaProducer<String, byte[]> producer() {
    return producer(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
  }

  /** A producer to the fixture's broker with one setting of its own. */
  private static KafkaProducer<String, byte[]> producer(String setting, Object value) {
    return new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), setting, value),
        new StringSerializer(),
        new ByteArraySerializer());
  }

  /** Sends the documents keyed by id (to the partition of their key when {@code partition} < 0). */
  private static void produce(List<Document> docs, int partition) {
    try (KafkaProducer<String, byte[]> producer = producer()) {
      for (Document d : docs) {
        producer.send(
            new ProducerRecord<>(
                Topics.CORPUS_RAW.name(),
                partition < 0 ? null : partition,
                d.getId(),
                Topics.CORPUS_RAW.serialize(d)));
      }
      producer.flush();
    }
  }

  private static String get(DedupFilterService service, String path)
      throws IOException, InterruptedException {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + service.httpPort() + path))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return response.body();
  }
}
