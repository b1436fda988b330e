package dev.refinery.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Licence;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.TokenDType;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BatchReaderIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams("web");

  static TokenBatch batch(long index) {
    Source source =
        Source.newBuilder()
            .setName("cc")
            .setKind(SourceKind.PUBLIC_WEB)
            .setLicence(Licence.newBuilder().setSpdxId("CC-BY-4.0").build())
            .setStream("web")
            .build();
    return TokenBatch.newBuilder()
        .setBatchId("web-" + index)
        .setStream("web")
        .setBatchIndex(index)
        .setTokenizer("cl100k_base")
        .setDtype(TokenDType.UINT32)
        .setSeqLen(2)
        .setNumSequences(1)
        .setTokens(TokenBytes.encode(new int[] {1, 100257}, 0, 2, TokenDType.UINT32))
        .setPadToken(100257)
        .setPadding(0)
        .setSpans(
            List.of(
                DocumentSpan.newBuilder()
                    .setDocId("d" + index)
                    .setSource(source)
                    .setSequence(0)
                    .setOffset(0)
                    .setLength(1)
                    .setDocOffset(0)
                    .setDocTokens(1)
                    .build()))
        .setCreatedAt(Instant.now())
        .build();
  }

  @Test
  void readsCommittedBatchesInOrderSkipsAbortedOnesAndReportsGarbage() {
    String topic = Topics.tokens("web").name();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "bridge-it"),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(
          new ProducerRecord<>(topic, 0, "web-0", Topics.tokens("web").serialize(batch(0))));
      producer.send(
          new ProducerRecord<>(topic, 0, "web-1", Topics.tokens("web").serialize(batch(1))));
      producer.commitTransaction();
      producer.beginTransaction();
      producer.send(
          new ProducerRecord<>(topic, 0, "web-x", Topics.tokens("web").serialize(batch(99))));
      producer.flush();
      producer.abortTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, 0, "junk", new byte[] {7, 7, 7}));
      producer.send(
          new ProducerRecord<>(topic, 0, "web-2", Topics.tokens("web").serialize(batch(2))));
      producer.commitTransaction();
    }

    List<ReceivedBatch> read = new ArrayList<>();
    try (BatchReader reader =
        new BatchReader(
            new BridgeConfig(
                Map.of("bootstrap.servers", kafka.bootstrapServers(), BridgeConfig.STREAMS, "web")),
            BatchReader.Start.BEGINNING)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (read.size() < 4 && System.nanoTime() < deadline) {
        read.addAll(reader.poll(Duration.ofMillis(200)));
      }
    }

    assertThat(read).hasSize(4);
    assertThat(read)
        .filteredOn(ReceivedBatch::ok)
        .extracting(r -> r.batch().getBatchIndex())
        .containsExactly(0L, 1L, 2L);
    ReceivedBatch junk = read.get(2);
    assertThat(junk.ok()).isFalse();
    assertThat(junk.error()).contains("not Avro single-object encoded TokenBatch");
    assertThat(BatchSummary.line(junk)).startsWith(topic + "[0]@").contains("UNDECODABLE");
    assertThat(BatchSummary.line(read.get(0)))
        .isEqualTo(topic + "[0]@0 web-0 1x2 uint32 pad 0 | 1 spans, 1 docs | cc CC-BY-4.0 x1");
  }

  @Test
  void aStreamWithoutItsTopicSaysSo() {
    BridgeConfig config =
        new BridgeConfig(
            Map.of("bootstrap.servers", kafka.bootstrapServers(), BridgeConfig.STREAMS, "nothere"));

    assertThatThrownBy(() -> new BatchReader(config, BatchReader.Start.BEGINNING))
        .hasMessageContaining("tokens.nothere.v1 does not exist");
  }
}
