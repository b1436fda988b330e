package dev.refinery.dedup;

import static dev.refinery.dedup.Docs.doc;
import static dev.refinery.dedup.Docs.words;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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

  @Test
  void everyDocumentEndsCleanOrRejectedOnceAndDedupStateSurvivesARestart() throws Exception {
    DedupFilterConfig config =
        new DedupFilterConfig(
            Map.of(
                "bootstrap.servers",
                kafka.bootstrapServers(),
                DedupFilterConfig.STATE_DIR,
                state.toString(),
                DedupFilterConfig.MIN_WORDS,
                10));
    List<Document> firstWave = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      // 40 texts, each three times under different ids; every 10th text too short
      int text = i % 40;
      firstWave.add(
          doc("first-" + i, text % 10 == 0 ? "short text " + text : words("t" + text + "w", 20)));
    }
    List<Document> secondWave = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      // 20 copies of long first-wave texts (the odd ones), 20 new texts
      secondWave.add(
          doc(
              "second-" + i,
              i < 20 ? words("t" + (2 * i + 1) + "w", 20) : words("new" + i + "w", 20)));
    }

    try (DedupFilterService service = DedupFilterService.start(config)) {
      produce(firstWave);
      awaitAccounted(firstWave.size());
    }
    try (DedupFilterService restarted = DedupFilterService.start(config)) {
      produce(secondWave);
      awaitAccounted(firstWave.size() + secondWave.size());
    }

    List<Document> clean = kafka.values(Topics.CORPUS_CLEAN);
    List<RejectedDocument> rejected = kafka.values(Topics.CORPUS_REJECTED);
    Map<String, Integer> seen = new HashMap<>();
    clean.forEach(d -> seen.merge(d.getId(), 1, Integer::sum));
    rejected.forEach(r -> seen.merge(r.getDocId(), 1, Integer::sum));
    List<Document> all = new ArrayList<>(firstWave);
    all.addAll(secondWave);
    assertThat(seen)
        .as("each document exactly once")
        .hasSize(all.size())
        .allSatisfy((id, n) -> assertThat(n).isEqualTo(1));

    // 36 long texts of the first wave and 20 new ones survive, one copy each
    assertThat(clean).hasSize(36 + 20);
    Set<String> cleanIds = new HashSet<>();
    clean.forEach(d -> cleanIds.add(d.getId()));
    // dedup comes before the rules: of the 4 short texts, the first copy is TOO_SHORT, the others
    // duplicates
    List<RejectedDocument> tooShort =
        rejected.stream().filter(r -> r.getReason().equals("TOO_SHORT")).toList();
    assertThat(tooShort).hasSize(4);
    Set<String> firsts = new HashSet<>(cleanIds);
    tooShort.forEach(r -> firsts.add(r.getDocId()));
    List<RejectedDocument> duplicates =
        rejected.stream().filter(r -> r.getReason().equals("EXACT_DUPLICATE")).toList();
    assertThat(duplicates).hasSize(40 * 2 + 20);
    assertThat(duplicates).allSatisfy(r -> assertThat(firsts).contains(r.getDupOf()));
    // the second wave's copies were caught by the state restored after the restart
    Set<String> copies = new HashSet<>();
    secondWave.subList(0, 20).forEach(d -> copies.add(d.getId()));
    assertThat(duplicates.stream().filter(r -> copies.contains(r.getDocId()))).hasSize(20);
  }

  private static void awaitAccounted(int total) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (kafka.values(Topics.CORPUS_CLEAN).size() + kafka.values(Topics.CORPUS_REJECTED).size()
        < total) {
      assertThat(System.nanoTime())
          .as("all %d documents accounted for in time", total)
          .isLessThan(deadline);
      sleep(200);
    }
  }

  private static void produce(List<Document> docs) throws Exception {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true),
            new StringSerializer(),
            new ByteArraySerializer())) {
      for (Document d : docs) {
        producer.send(
            new ProducerRecord<>(
                Topics.CORPUS_RAW.name(), d.getId(), Topics.CORPUS_RAW.serialize(d)));
      }
      producer.flush();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
