package dev.refinery.tokenizer;

import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.Topics;
import dev.refinery.schemas.flink.SingleObjectSerializationSchema;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The job's exactly-once Kafka sinks: token batches to {@code tokens.<stream>.v1}, rejections. */
final class KafkaSinks {
  private KafkaSinks() {}

  static KafkaSink<TokenBatch> batches(TokenizerConfig config) {
    return KafkaSink.<TokenBatch>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setRecordSerializer(new BatchSerializer())
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(config.transactionalIdPrefix() + "-batches")
        .setKafkaProducerConfig(producerConfig(config))
        .build();
  }

  static KafkaSink<RejectedDocument> rejected(TokenizerConfig config) {
    return KafkaSink.<RejectedDocument>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setRecordSerializer(new RejectionSerializer())
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(config.transactionalIdPrefix() + "-rejected")
        .setKafkaProducerConfig(producerConfig(config))
        .build();
  }

  private static Properties producerConfig(TokenizerConfig config) {
    Properties p = new Properties();
    // must not exceed the broker's transaction.max.timeout.ms, or InitProducerId fails forever
    p.setProperty(
        ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(config.transactionTimeoutMs()));
    p.setProperty(
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(Topics.LARGE_MESSAGE_BYTES));
    p.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    return p;
  }

  /** A batch to the topic of its stream, keyed by batch id, single-object encoded. */
  static final class BatchSerializer implements KafkaRecordSerializationSchema<TokenBatch> {
    private static final long serialVersionUID = 1L;
    private final SingleObjectSerializationSchema<TokenBatch> values =
        new SingleObjectSerializationSchema<>(TokenBatch.class);

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
        TokenBatch batch, KafkaSinkContext context, Long timestamp) {
      return new ProducerRecord<>(
          Topics.tokens(batch.getStream()).name(),
          batch.getBatchId().getBytes(StandardCharsets.UTF_8),
          values.serialize(batch));
    }
  }

  /** A rejection to corpus.rejected.v1, keyed by doc id. */
  static final class RejectionSerializer
      implements KafkaRecordSerializationSchema<RejectedDocument> {
    private static final long serialVersionUID = 1L;
    private final SingleObjectSerializationSchema<RejectedDocument> values =
        new SingleObjectSerializationSchema<>(RejectedDocument.class);

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
        RejectedDocument rejection, KafkaSinkContext context, Long timestamp) {
      return new ProducerRecord<>(
          Topics.CORPUS_REJECTED.name(),
          rejection.getDocId().getBytes(StandardCharsets.UTF_8),
          values.serialize(rejection));
    }
  }
}
