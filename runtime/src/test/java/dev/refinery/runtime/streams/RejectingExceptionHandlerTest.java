package dev.refinery.runtime.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RejectingExceptionHandlerTest {
  @TempDir Path state;

  /** Upper-cases values; throws on one that says "boom". */
  private static Topology topology() {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream("in", Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .mapValues(
            v -> {
              String text = new String(v, StandardCharsets.UTF_8);
              if (text.contains("boom")) {
                throw new IllegalArgumentException("the rule cannot read '" + text + "'");
              }
              return text.toUpperCase();
            },
            Named.as("rule"))
        .to("out", Produced.with(Serdes.String(), Serdes.String()));
    return builder.build();
  }

  private Properties config(int maxOriginalBytes) {
    return StreamsRunner.baseConfig(
        "test",
        dev.refinery.runtime.config.KafkaClients.of("localhost:1"),
        state,
        100,
        Stage.DEDUP_FILTER,
        maxOriginalBytes,
        1 << 20,
        new dev.refinery.runtime.config.Replication(1, 1));
  }

  @Test
  void aRecordARuleThrowsOnIsRejectedWithItsBytesAndTheStageGoesOn() {
    try (TopologyTestDriver driver = new TopologyTestDriver(topology(), config(1000))) {
      TestInputTopic<String, byte[]> in =
          driver.createInputTopic("in", new StringSerializer(), new ByteArraySerializer());
      TestOutputTopic<String, String> out =
          driver.createOutputTopic("out", new StringDeserializer(), new StringDeserializer());
      TestOutputTopic<String, byte[]> rejected =
          driver.createOutputTopic(
              Topics.CORPUS_REJECTED.name(), new StringDeserializer(), new ByteArrayDeserializer());

      in.pipeInput("d1", "first".getBytes(StandardCharsets.UTF_8));
      in.pipeInput("d2", "boom here".getBytes(StandardCharsets.UTF_8));
      in.pipeInput("d3", "third".getBytes(StandardCharsets.UTF_8));

      assertThat(out.readValuesToList()).containsExactly("FIRST", "THIRD");
      List<TestRecord<String, byte[]>> rejections = rejected.readRecordsToList();
      assertThat(rejections).hasSize(1);
      assertThat(rejections.get(0).key()).isEqualTo("d2");
      RejectedDocument r = Topics.CORPUS_REJECTED.deserialize(rejections.get(0).value());
      assertThat(r.getDocId()).isEqualTo("d2");
      assertThat(r.getStage()).isEqualTo(Stage.DEDUP_FILTER);
      assertThat(r.getReason()).isEqualTo(RejectingExceptionHandler.PROCESSING_ERROR);
      assertThat(r.getDetail())
          .contains("rule")
          .contains("IllegalArgumentException")
          .contains("cannot read 'boom here'");
      assertThat(r.getLocation()).isEqualTo("in-0@1");
      assertThat(StandardCharsets.UTF_8.decode(r.getOriginal()).toString()).isEqualTo("boom here");
      assertThat(r.getOriginalSize()).isEqualTo(9);
    }
  }

  @Test
  void theOriginalIsCutAtTheBoundAndAKeylessRecordGetsAnIdFromItsBytes() {
    try (TopologyTestDriver driver = new TopologyTestDriver(topology(), config(4))) {
      TestInputTopic<String, byte[]> in =
          driver.createInputTopic("in", new StringSerializer(), new ByteArraySerializer());
      TestOutputTopic<String, byte[]> rejected =
          driver.createOutputTopic(
              Topics.CORPUS_REJECTED.name(), new StringDeserializer(), new ByteArrayDeserializer());
      in.pipeInput(null, "boom boom".getBytes(StandardCharsets.UTF_8));
      in.pipeInput(null, "boom boom".getBytes(StandardCharsets.UTF_8));
      List<TestRecord<String, byte[]>> rejections = rejected.readRecordsToList();
      assertThat(rejections).hasSize(2);
      RejectedDocument r = Topics.CORPUS_REJECTED.deserialize(rejections.get(0).value());
      assertThat(r.getOriginal().remaining()).isEqualTo(4);
      assertThat(r.getOriginalSize()).isEqualTo(9);
      assertThat(r.getDocId()).isNotBlank();
      // the same bytes get the same id
      assertThat(rejections.get(1).key()).isEqualTo(rejections.get(0).key());
    }
  }
}
