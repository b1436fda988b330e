package dev.refinery.schemas;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a generated Avro record, in single-object encoding ({@link AvroCodec}).
 *
 * <p>Decoding failures surface as Kafka's {@link SerializationException} carrying the {@link
 * RecordDecodeException}, so a Streams {@code DeserializationExceptionHandler} or a consumer can
 * route the record instead of stopping.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
  private final AvroCodec<T> codec;

  public AvroSerde(Class<T> type) {
    this.codec = AvroCodec.of(type);
  }

  public AvroCodec<T> codec() {
    return codec;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, record) -> codec.encode(record);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> {
      try {
        return codec.decode(bytes);
      } catch (RecordDecodeException e) {
        throw new SerializationException("topic " + topic + ": " + e.getMessage(), e);
      }
    };
  }
}
