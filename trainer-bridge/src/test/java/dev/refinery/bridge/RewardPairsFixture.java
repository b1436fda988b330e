package dev.refinery.bridge;

import dev.refinery.schemas.PairOrigin;
import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.Topics;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Pairs on feedback.rm-pairs.v1 for the bridge's /v1/rm-pairs: a label whose second revision
 * reverses its first, and an RBRM set. Once: later calls find them there.
 */
final class RewardPairsFixture {
  private static boolean produced;

  private RewardPairsFixture() {}

  static synchronized void produce(String bootstrap) {
    if (produced) {
      return;
    }
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
            new StringSerializer(),
            new ByteArraySerializer())) {
      send(producer, pair("label:l1", 1, "a", "b", PairOrigin.HUMAN, 2.0));
      send(producer, pair("label:l1", 2, "b", "a", PairOrigin.HUMAN, 2.0));
      send(producer, pair("rbrm:s1:r@1", 1, "a", "b", PairOrigin.RBRM, 0.5));
      producer.flush();
    }
    produced = true;
  }

  private static void send(KafkaProducer<String, byte[]> producer, RewardModelPair pair) {
    producer.send(
        new ProducerRecord<>(
            Topics.FEEDBACK_RM_PAIRS.name(),
            pair.getPromptId(),
            Topics.FEEDBACK_RM_PAIRS.serialize(pair)));
  }

  static RewardModelPair pair(
      String set, long revision, String chosen, String rejected, PairOrigin origin, double margin) {
    return RewardModelPair.newBuilder()
        .setPairId(set + "/" + chosen + ">" + rejected)
        .setSetId(set)
        .setSetRevision(revision)
        .setSetSize(1)
        .setGroupId("p1")
        .setPromptId("p1")
        .setSampleId("s1")
        .setPrompt("prompt")
        .setChosen("text " + chosen)
        .setRejected("text " + rejected)
        .setChosenCompletionId(chosen)
        .setRejectedCompletionId(rejected)
        .setChosenModel("m")
        .setRejectedModel("m")
        .setMargin(margin)
        .setOrigin(origin)
        .setLabeler(origin == PairOrigin.HUMAN ? "lb_1" : null)
        .setGold(false)
        .setRubric(origin == PairOrigin.RBRM ? "r@1" : null)
        .setCreatedAt(Instant.parse("2026-11-21T00:00:00Z"))
        .build();
  }
}
