package dev.refinery.dedup;

import static dev.refinery.dedup.Docs.doc;
import static dev.refinery.dedup.Docs.words;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DedupFilterTopologyTest {
  DedupMetrics metrics = new DedupMetrics();
  TopologyTestDriver driver;
  TestInputTopic<String, byte[]> raw;
  TestOutputTopic<String, Document> clean;
  TestOutputTopic<String, RejectedDocument> rejected;

  @BeforeEach
  void setUp() {
    DedupFilterConfig config = new DedupFilterConfig(Map.of(DedupFilterConfig.MIN_WORDS, 5));
    Topology topology = DedupFilterTopology.build(config, metrics);
    Properties props = DedupFilterService.streamsConfig(config);
    props.put(
        StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/dedup-driver");
    driver = new TopologyTestDriver(topology, props);
    raw =
        driver.createInputTopic(
            Topics.CORPUS_RAW.name(),
            Serdes.String().serializer(),
            Serdes.ByteArray().serializer());
    clean =
        driver.createOutputTopic(
            Topics.CORPUS_CLEAN.name(),
            Serdes.String().deserializer(),
            Topics.CORPUS_CLEAN.valueSerde().deserializer());
    rejected =
        driver.createOutputTopic(
            Topics.CORPUS_REJECTED.name(),
            Serdes.String().deserializer(),
            Topics.CORPUS_REJECTED.valueSerde().deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  private void send(Document d) {
    raw.pipeInput(d.getId(), Topics.CORPUS_RAW.serialize(d));
  }

  @Test
  void firstOfATextGoesThroughWithSignalsLaterCopiesAreDuplicatesOfIt() {
    Document first = doc("a", "The quick brown fox jumps over the lazy dog.");
    Document copy = doc("b", "the QUICK brown fox  jumps over the lazy dog.");
    Document other = doc("c", words("w", 12));
    send(first);
    send(copy);
    send(other);

    List<KeyValue<String, Document>> out = clean.readKeyValuesToList();
    assertThat(out).extracting(kv -> kv.key).containsExactly(first.getId(), other.getId());
    assertThat(out.get(0).value.getSignals())
        .containsEntry("words", 9.0)
        .containsKeys("chars", "lines");
    RejectedDocument dup = rejected.readValue();
    assertThat(dup.getReason()).isEqualTo("EXACT_DUPLICATE");
    assertThat(dup.getDocId()).isEqualTo(copy.getId());
    assertThat(dup.getDupOf()).isEqualTo(first.getId());
    assertThat(dup.getStage()).isEqualTo(Stage.DEDUP_FILTER);
    assertThat(Topics.CORPUS_RAW.deserialize(bytes(dup)))
        .as("the document as it arrived")
        .isEqualTo(copy);
    assertThat(rejected.isEmpty()).isTrue();

    KeyValueStore<String, String> store = driver.getKeyValueStore(DedupFilterTopology.EXACT_STORE);
    assertThat(store.get(TextFingerprint.of(first.getText()))).isEqualTo(first.getId());
    assertThat(metrics.documentsIn()).isEqualTo(3);
    assertThat(metrics.documentsClean()).isEqualTo(2);
    assertThat(metrics.rejectedByReason()).containsExactly(Map.entry("EXACT_DUPLICATE", 1L));
  }

  @Test
  void shortDocumentsAreRejectedWithTheMeasuredValueAndThreshold() {
    Document tiny = doc("t", "four words only here");
    Document enough = doc("e", "five words are just enough");
    send(tiny);
    send(enough);

    assertThat(clean.readKeyValuesToList())
        .extracting(kv -> kv.key)
        .containsExactly(enough.getId());
    RejectedDocument r = rejected.readValue();
    assertThat(r.getReason()).isEqualTo("TOO_SHORT");
    assertThat(r.getMeasured()).isEqualTo(4.0);
    assertThat(r.getThreshold()).isEqualTo(5.0);
    assertThat(r.getDetail()).contains("dedup.min.words=5");
    assertThat(r.getSource().getName()).isEqualTo("test");
  }

  @Test
  void undecodableRecordsAreRejectedAndTheStageGoesOn() {
    raw.pipeInput("garbage-key", "{\"text\": \"json, not avro\"}".getBytes());
    raw.pipeInput("null-key", null);
    Document good = doc("g", words("g", 8));
    send(good);

    List<RejectedDocument> out = rejected.readValuesToList();
    assertThat(out)
        .extracting(RejectedDocument::getReason)
        .containsExactly("UNDECODABLE", "UNDECODABLE");
    assertThat(out.get(0).getDocId()).isEqualTo("garbage-key");
    assertThat(out.get(0).getDetail()).contains("not Avro single-object encoded");
    assertThat(new String(bytes(out.get(0)))).isEqualTo("{\"text\": \"json, not avro\"}");
    assertThat(out.get(1).getDetail()).contains("tombstone");
    assertThat(clean.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly(good.getId());
  }

  @Test
  void theSameDocumentAgainIsAReplayNotADuplicateOfItself() {
    Document d = doc("r", words("r", 10));
    send(d);
    send(d);

    assertThat(clean.readKeyValuesToList()).hasSize(1);
    assertThat(rejected.isEmpty()).isTrue();
    assertThat(metrics.replaysDropped()).isEqualTo(1);
  }

  @Test
  void aReplayOfARejectedDocumentIsNotRejectedTwice() {
    Document shortDoc = doc("s", "too short");
    send(shortDoc);
    send(shortDoc);

    assertThat(rejected.readValuesToList())
        .singleElement()
        .satisfies(r -> assertThat(r.getReason()).isEqualTo("TOO_SHORT"));
    assertThat(metrics.replaysDropped()).isEqualTo(1);
  }

  @Test
  void aCopyOfARejectedTextIsItsDuplicate() {
    Document shortDoc = doc("s1", "too short");
    Document copy = doc("s2", "Too  short");
    send(shortDoc);
    send(copy);

    List<RejectedDocument> out = rejected.readValuesToList();
    assertThat(out)
        .extracting(RejectedDocument::getReason)
        .containsExactly("TOO_SHORT", "EXACT_DUPLICATE");
    assertThat(out.get(1).getDupOf()).isEqualTo(shortDoc.getId());
  }

  @Test
  void everyStatefulPartIsNamed() {
    String description =
        DedupFilterTopology.build(new DedupFilterConfig(Map.of()), metrics).describe().toString();

    assertThat(description)
        .contains("stores: [" + DedupFilterTopology.EXACT_STORE + "]")
        .contains(DedupFilterTopology.BY_TEXT_HASH + "-repartition")
        .doesNotContain("KSTREAM-")
        .doesNotContain("KTABLE-");
  }

  private static byte[] bytes(RejectedDocument r) {
    byte[] b = new byte[r.getOriginal().remaining()];
    r.getOriginal().duplicate().get(b);
    return b;
  }
}
