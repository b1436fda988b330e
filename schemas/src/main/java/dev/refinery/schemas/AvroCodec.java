package dev.refinery.schemas;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro single-object encoding for one generated record type: the marker bytes {@code C3 01}, the
 * 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema, then the binary body.
 *
 * <p>Any reader in any language can tell from the fingerprint which schema wrote a record, without
 * a registry. The decoder knows the current schema and every released version of it (see {@link
 * ReleasedSchemas}), so records written by older builds still decode. Instances are thread-safe and
 * cached per type: use {@link #of(Class)}.
 *
 * <pre>{@code
 * AvroCodec<Document> codec = AvroCodec.of(Document.class);
 * byte[] bytes = codec.encode(doc);
 * Document back = codec.decode(bytes);
 * }</pre>
 */
public final class AvroCodec<T extends SpecificRecord> {
  private static final ConcurrentHashMap<Class<?>, AvroCodec<?>> CODECS = new ConcurrentHashMap<>();

  static {
    trustGeneratedClasses();
  }

  /**
   * Each thread's buffer that records are encoded into, then copied out of once: Avro's own {@code
   * encode(record)} copies its buffer into a new one, which was copied again into the array
   * returned.
   */
  private static final ThreadLocal<Buffer> BUFFERS = ThreadLocal.withInitial(Buffer::new);

  /** The largest buffer a thread keeps between records. */
  private static final int MAX_KEPT_BUFFER = 1 << 20;

  /** A byte array stream that tells how large its array has grown. */
  private static final class Buffer extends java.io.ByteArrayOutputStream {
    Buffer() {
      super(8192);
    }

    int capacity() {
      return buf.length;
    }
  }

  private final Class<T> type;
  private final Schema schema;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  /** The header this build writes: the marker and the current schema's fingerprint. */
  private final byte[] header;

  private AvroCodec(Class<T> type) {
    this.type = type;
    SpecificData model = SpecificData.getForClass(type);
    this.schema = model.getSchema(type);
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema);
    this.header =
        ByteBuffer.allocate(10)
            .order(ByteOrder.LITTLE_ENDIAN)
            .put((byte) 0xC3)
            .put((byte) 0x01)
            .putLong(SchemaNormalization.parsingFingerprint64(schema))
            .array();
    readsReleased(decoder);
  }

  /** The codec for a generated record class. */
  @SuppressWarnings("unchecked")
  public static <T extends SpecificRecord> AvroCodec<T> of(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return (AvroCodec<T>) CODECS.computeIfAbsent(type, t -> new AvroCodec<>(type));
  }

  public Class<T> type() {
    return type;
  }

  /** The schema this build writes. */
  public Schema schema() {
    return schema;
  }

  /** Encodes a record; {@code null} stays {@code null} (a Kafka tombstone). */
  public byte[] encode(T record) {
    if (record == null) {
      return null;
    }
    try {
      Buffer out = BUFFERS.get();
      out.reset();
      encoder.encode(record, out);
      byte[] bytes = out.toByteArray();
      if (out.capacity() > MAX_KEPT_BUFFER) {
        // an image or a large batch: its buffer is not kept for the thread's next record
        BUFFERS.remove();
      }
      return bytes;
    } catch (IOException | AvroRuntimeException | ClassCastException | NullPointerException e) {
      throw new IllegalArgumentException(
          "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether the bytes are single-object encoded by this build's schema, as {@link #encode} writes
   * them (their body is not read): a stage may then pass on the bytes it was given rather than
   * decode and encode them again.
   */
  public boolean writtenByThisSchema(byte[] bytes) {
    return bytes != null
        && bytes.length >= header.length
        && Arrays.equals(bytes, 0, header.length, header, 0, header.length);
  }

  /**
   * Decodes single-object encoded bytes; {@code null} stays {@code null}.
   *
   * @throws RecordDecodeException if the bytes are not a record of this type written by a known
   *     schema
   */
  public T decode(byte[] bytes) {
    return decode(decoder, bytes);
  }

  /**
   * A reader of some of this type's fields: the others are skipped, not decoded (a text is not made
   * a String, a map's entries are not put), where a stage needs a few fields of a record it passes
   * on as it came. It reads what this codec reads: every released schema and this one.
   *
   * @param fields names of fields of this build's schema
   */
  public Projection projection(String... fields) {
    List<Schema.Field> kept = new ArrayList<>();
    for (String name : fields) {
      Schema.Field field = schema.getField(name);
      if (field == null) {
        throw new IllegalArgumentException(type.getSimpleName() + " has no field " + name);
      }
      kept.add(new Schema.Field(field, field.schema()));
    }
    Schema projected =
        Schema.createRecord(
            schema.getName(), schema.getDoc(), schema.getNamespace(), schema.isError(), kept);
    BinaryMessageDecoder<GenericRecord> reader =
        new BinaryMessageDecoder<>(GenericData.get(), projected);
    reader.addSchema(schema);
    readsReleased(reader);
    return new Projection(reader);
  }

  /** Lets {@code decoder} read what every released version of this type's schema wrote. */
  private void readsReleased(BinaryMessageDecoder<?> decoder) {
    for (Schema released : ReleasedSchemas.versionsOf(schema.getName())) {
      decoder.addSchema(released);
    }
  }

  /** Some fields of this codec's type, read from single-object encoded bytes. */
  public final class Projection {
    private final BinaryMessageDecoder<GenericRecord> reader;

    private Projection(BinaryMessageDecoder<GenericRecord> reader) {
      this.reader = reader;
    }

    /**
     * The projected fields of a record, as generic values (a string is a {@link CharSequence});
     * {@code null} stays {@code null}.
     *
     * @throws RecordDecodeException as {@link AvroCodec#decode} does
     */
    public GenericRecord decode(byte[] bytes) {
      return AvroCodec.this.decode(reader, bytes);
    }
  }

  private <R> R decode(BinaryMessageDecoder<R> decoder, byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      return decoder.decode(bytes);
    } catch (BadHeaderException e) {
      throw new RecordDecodeException(
          "not Avro single-object encoded "
              + type.getSimpleName()
              + " ("
              + bytes.length
              + " bytes): "
              + e.getMessage(),
          e);
    } catch (MissingSchemaException e) {
      throw new RecordDecodeException(
          "unknown writer schema for "
              + type.getSimpleName()
              + ": "
              + e.getMessage()
              + "; a newer build wrote it, or it is another record type",
          e);
    } catch (IOException | RuntimeException e) {
      throw new RecordDecodeException(
          "corrupt " + type.getSimpleName() + " body (" + bytes.length + " bytes): " + e, e);
    }
  }

  /**
   * Avro 1.12.2 refuses to instantiate generated classes outside trusted packages. Ours are trusted
   * here, in code, so no JVM flag is needed wherever the codec runs (Flink task managers included).
   */
  private static void trustGeneratedClasses() {
    String pkg = Document.class.getPackageName() + ".";
    ClassSecurityValidator.ClassSecurityPredicate ours = c -> c.getName().startsWith(pkg);
    ClassSecurityValidator.setGlobal(
        ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), ours));
  }
}
