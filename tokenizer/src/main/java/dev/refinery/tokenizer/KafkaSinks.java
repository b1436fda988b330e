package dev.refinery.tokenizer;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.Topics;
import dev.refinery.tokenizer.serde.SingleObjectSerializationSchema;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The job's exactly-once Kafka sinks: token batches to {@code tokens.<stream>.v1}, rejections. */
final class KafkaSinks {
  private KafkaSinks() {}

  /**
   * Each batch to the topic of its stream, keyed by batch id; {@code preference}: the preference
   * stream's topic too.
   */
  static KafkaSink<TokenBatch> batches(TokenizerConfig config, boolean preference) {
    return exactlyOnce(
        config,
        "batches",
        new Serializer<>(
            TokenBatch.class,
            b -> Topics.tokens(b.getStream()).name(),
            TokenBatch::getBatchId,
            written(config, preference)));
  }

  /** The token topics the job writes: its streams', and its preference stream's. */
  static List<String> written(TokenizerConfig config, boolean preference) {
    List<String> topics = new ArrayList<>();
    config.streams().forEach(s -> topics.add(Topics.tokens(s).name()));
    if (preference && !config.preferenceStream().isEmpty()) {
      topics.add(Topics.tokens(config.preferenceStream()).name());
    }
    return topics;
  }

  /** Rejections to corpus.rejected.v1, keyed by doc id. */
  static KafkaSink<RejectedDocument> rejected(TokenizerConfig config) {
    return exactlyOnce(
        config,
        "rejected",
        new Serializer<>(
            RejectedDocument.class,
            r -> Topics.CORPUS_REJECTED.name(),
            RejectedDocument::getDocId,
            List.of(Topics.CORPUS_REJECTED.name())));
  }

  /** The sinks' producer batch.size, unless {@code kafka.producer.batch.size} is set. */
  static final int SINK_BATCH_BYTES = 256 * 1024;

  /** The sinks' producer linger.ms, unless {@code kafka.producer.linger.ms} is set. */
  static final int SINK_LINGER_MS = 100;

  private static <T> KafkaSink<T> exactlyOnce(
      TokenizerConfig config, String name, KafkaRecordSerializationSchema<T> serializer) {
    return KafkaSink.<T>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setRecordSerializer(serializer)
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(config.transactionalIdPrefix() + "-" + name)
        // a fixed pool of transactional ids, reused across checkpoints, rather than a new id per
        // checkpoint (thousands a day, each kept by the brokers for transactional.id.expiration.ms)
        .setTransactionNamingStrategy(TransactionNamingStrategy.POOLING)
        .setKafkaProducerConfig(producer(config))
        .build();
  }

  /**
   * The sinks' producer settings: the cluster's client settings (TLS, SASL, kafka.producer.*), then
   * the sinks' own.
   */
  static Properties producer(TokenizerConfig config) {
    Properties producer = config.kafka().flink(KafkaClients.Role.PRODUCER);
    // must not exceed the broker's transaction.max.timeout.ms, or InitProducerId fails forever
    producer.setProperty(
        ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(config.transactionTimeoutMs()));
    producer.setProperty(
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(Topics.LARGE_MESSAGE_BYTES));
    // LZ4 leaves a token batch at 0.58 of its bytes (cl100k ids in 4 bytes); the user's
    // kafka.producer.compression.type wins (zstd level 1: 0.42, for more of the packing thread)
    producer.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // A token batch (8 rows of 2,049 ids: 64 KB at 4 bytes an id) is more than Kafka's 16 KB batch
    // and comes every few milliseconds, more than Kafka's 5 ms linger: each was a producer batch of
    // its own, with an LZ4 frame of its own (buffers allocated and zeroed: 8 % of the packing
    // thread). What the sink writes is read at the next checkpoint's commit, which sends whatever
    // lingers, so waiting up to 100 ms delays no reader. 256 KB holds four token batches; a
    // partition with data holds one such buffer of the producer's 32 MB, so many streams' topics
    // (4 partitions each) still fit. kafka.producer.* sets others.
    producer.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(SINK_BATCH_BYTES));
    producer.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(SINK_LINGER_MS));
    return producer;
  }

  /**
   * A record to the topic it names, under the key it names, single-object encoded. It names the
   * topics it writes, which the pooling transactional-id strategy needs.
   */
  static final class Serializer<T extends SpecificRecord>
      implements KafkaRecordSerializationSchema<T>, KafkaDatasetFacetProvider {
    private static final long serialVersionUID = 1L;
    private final SingleObjectSerializationSchema<T> values;
    private final SerializableFunction<T, String> topic;
    private final SerializableFunction<T, String> key;
    private final ArrayList<String> topics;

    Serializer(
        Class<T> type,
        SerializableFunction<T, String> topic,
        SerializableFunction<T, String> key,
        List<String> topics) {
      this.values = new SingleObjectSerializationSchema<>(type);
      this.topic = topic;
      this.key = key;
      this.topics = new ArrayList<>(topics);
    }

    @Override
    public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
      return Optional.of(
          new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(topics)));
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
        T record, KafkaSinkContext context, Long timestamp) {
      return new ProducerRecord<>(
          topic.apply(record),
          key.apply(record).getBytes(StandardCharsets.UTF_8),
          values.serialize(record));
    }
  }
}
