package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.pairs.RewardPairs;
import dev.refinery.schemas.PairOrigin;
import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The export of reward-model pairs read from feedback.rm-pairs.v1 through a spool file: the same
 * rows, in the same order, as the pairs held in memory, undecodable records counted and left out,
 * and no file left behind.
 */
class RewardPairsExportIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  private static final int SETS = 300;
  private static final int PROMPTS = 60;

  @Test
  void theTopicReadThroughASpoolGivesWhatThePairsInMemoryGiveAndLeavesNoFile() throws Exception {
    List<RewardModelPair> written = new ArrayList<>();
    int retracted = 0;
    try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
      for (int set = 0; set < SETS; set++) {
        int revisions = set % 3 == 0 ? 2 : 1; // the first revision superseded
        for (int revision = 1; revision <= revisions; revision++) {
          for (String[] pair : orientations(revision)) {
            written.add(pair(set, revision, 3, pair[0], pair[1]));
          }
        }
        if (set % 7 == 0) {
          written.add(pair(set, revisions + 1, 0, "", "")); // retracted
          retracted++;
        }
      }
      for (RewardModelPair p : written) {
        producer.send(
            new ProducerRecord<>(
                Topics.FEEDBACK_RM_PAIRS.name(),
                p.getPromptId().toString(),
                Topics.FEEDBACK_RM_PAIRS.serialize(p)));
      }
      // what no build writes: bytes that are not a pair, and a tombstone
      producer.send(
          new ProducerRecord<>(
              Topics.FEEDBACK_RM_PAIRS.name(),
              "p0",
              "not a pair".getBytes(StandardCharsets.UTF_8)));
      producer.send(new ProducerRecord<>(Topics.FEEDBACK_RM_PAIRS.name(), "p0", null));
      producer.flush();
    }
    RewardPairs inMemory = new RewardPairs();
    written.forEach(inMemory::add);
    Set<PairOrigin> all = EnumSet.allOf(PairOrigin.class);
    List<Path> before = spools();

    try (RewardPairs spooled =
        RewardPairs.read(KafkaClients.of(kafka.bootstrapServers()), n -> {})) {
      assertThat(spools()).as("the spool is deleted as soon as it is made").isEqualTo(before);
      assertThat(spooled.records()).isEqualTo(written.size() + 2);
      assertThat(spooled.undecodable()).isEqualTo(2);
      assertThat(spooled.sets()).isEqualTo(SETS);
      assertThat(spooled.groups(all)).isEqualTo(PROMPTS);

      for (Set<PairOrigin> origins : List.of(all, EnumSet.of(PairOrigin.RBRM))) {
        for (RewardPairs.Format format : RewardPairs.Format.values()) {
          for (boolean lineage : List.of(false, true)) {
            ByteArrayOutputStream fromSpool = new ByteArrayOutputStream();
            ByteArrayOutputStream fromMemory = new ByteArrayOutputStream();
            long lines =
                spooled.write(origins, format, RewardPairs.Margin.AUTO, lineage, fromSpool);
            RewardPairs.write(
                inMemory.current(origins), format, RewardPairs.Margin.AUTO, lineage, fromMemory);
            assertThat(fromSpool.toString(StandardCharsets.UTF_8))
                .as("%s %s lineage %s", origins, format, lineage)
                .isEqualTo(fromMemory.toString(StandardCharsets.UTF_8));
            assertThat(lines)
                .isEqualTo(
                    3L
                        * IntStream.range(0, SETS)
                            .filter(set -> set % 7 != 0 && origins.contains(origin(set)))
                            .count());
          }
        }
      }
      // the latest revision's orientation, and the texts whole
      List<RewardModelPair> current = spooled.current(all);
      assertThat(current).hasSize(3 * (SETS - retracted));
      assertThat(current)
          .filteredOn(p -> p.getSetId().toString().equals("label:3"))
          .extracting(p -> p.getChosenCompletionId().toString())
          .containsExactlyInAnyOrder("b", "c", "c");
      assertThat(current).allSatisfy(p -> assertThat(p.getPrompt().toString()).hasSize(2000));
      assertThat(current)
          .extracting(p -> p.getGroupId().toString())
          .as("grouped by prompt")
          .isSorted();
    }
    assertThat(spools()).isEqualTo(before);
  }

  /** A set's pairs at a revision: the second reverses the first. */
  private static List<String[]> orientations(int revision) {
    return revision == 1
        ? List.of(new String[] {"a", "b"}, new String[] {"a", "c"}, new String[] {"b", "c"})
        : List.of(new String[] {"b", "a"}, new String[] {"c", "a"}, new String[] {"c", "b"});
  }

  private static RewardModelPair pair(
      int set, long revision, int size, String chosen, String rejected) {
    String setId = "label:" + set;
    String prompt = "p" + (set % PROMPTS);
    return RewardModelPair.newBuilder()
        .setPairId(setId + "/" + chosen + ">" + rejected)
        .setSetId(setId)
        .setSetRevision(revision)
        .setSetSize(size)
        .setGroupId(prompt)
        .setPromptId(prompt)
        .setSampleId("s" + set)
        // a prompt of 2,000 characters, some of them beyond ASCII
        .setPrompt(("Prompt " + prompt + " é 漢 ").repeat(200).substring(0, 2000))
        .setChosen(size == 0 ? "" : "answer " + chosen)
        .setRejected(size == 0 ? "" : "answer " + rejected)
        .setChosenCompletionId(chosen)
        .setRejectedCompletionId(rejected)
        .setMargin(set % 2 == 0 ? null : 1.5)
        .setOrigin(origin(set))
        .setLabeler(set % 4 == 1 ? null : "lb_" + set % 5)
        .setGold(false)
        .setRubric(set % 4 == 1 ? "r@1" : null)
        .setCreatedAt(Instant.parse("2026-12-01T00:00:00Z"))
        .build();
  }

  private static PairOrigin origin(int set) {
    return set % 4 == 1 ? PairOrigin.RBRM : PairOrigin.HUMAN;
  }

  /** The spool files in the temporary directory. */
  private static List<Path> spools() throws IOException {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files
          .filter(f -> f.getFileName().toString().startsWith("refinery-rm-pairs-"))
          .sorted()
          .toList();
    }
  }
}
