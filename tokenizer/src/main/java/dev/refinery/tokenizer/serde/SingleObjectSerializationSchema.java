package dev.refinery.tokenizer.serde;

import dev.refinery.schemas.AvroCodec;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;

/** Flink serialization of a generated Avro record in single-object encoding ({@link AvroCodec}). */
public final class SingleObjectSerializationSchema<T extends SpecificRecord>
    implements SerializationSchema<T> {
  private static final long serialVersionUID = 1L;

  private final Class<T> type;
  private transient AvroCodec<T> codec;

  public SingleObjectSerializationSchema(Class<T> type) {
    this.type = type;
  }

  @Override
  public void open(InitializationContext context) {
    codec = AvroCodec.of(type);
  }

  @Override
  public byte[] serialize(T element) {
    if (codec == null) {
      codec = AvroCodec.of(type);
    }
    return codec.encode(element);
  }
}
