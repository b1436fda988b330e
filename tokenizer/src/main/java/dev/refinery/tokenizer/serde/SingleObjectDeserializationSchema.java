package dev.refinery.tokenizer.serde;

import dev.refinery.schemas.AvroCodec;
import dev.refinery.schemas.RecordDecodeException;
import java.io.IOException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * Flink deserialization of a generated Avro record in single-object encoding ({@link AvroCodec}).
 *
 * <p>Bytes that do not decode fail with an {@link IOException} naming why. A job that must not stop
 * on bad input reads raw bytes instead and routes failures itself (the tokenizer does).
 */
public final class SingleObjectDeserializationSchema<T extends SpecificRecord>
    implements DeserializationSchema<T> {
  private static final long serialVersionUID = 1L;

  private final Class<T> type;
  private transient AvroCodec<T> codec;

  public SingleObjectDeserializationSchema(Class<T> type) {
    this.type = type;
  }

  @Override
  public void open(InitializationContext context) {
    codec = AvroCodec.of(type);
  }

  @Override
  public T deserialize(byte[] message) throws IOException {
    if (codec == null) {
      codec = AvroCodec.of(type);
    }
    try {
      return codec.decode(message);
    } catch (RecordDecodeException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Override
  public boolean isEndOfStream(T nextElement) {
    return false;
  }

  @Override
  public TypeInformation<T> getProducedType() {
    return TypeInformation.of(type);
  }
}
