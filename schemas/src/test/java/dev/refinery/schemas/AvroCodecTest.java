package dev.refinery.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AvroCodecTest {

  static Stream<SpecificRecord> samples() {
    return Stream.of(
        Samples.document(),
        Samples.rejected(),
        Samples.batch(),
        Samples.metric(),
        Samples.checkpoint());
  }

  @ParameterizedTest
  @MethodSource("samples")
  <T extends SpecificRecord> void roundTripsEveryValueType(T record) {
    @SuppressWarnings("unchecked")
    AvroCodec<T> codec = AvroCodec.of((Class<T>) record.getClass());

    byte[] bytes = codec.encode(record);

    assertThat(codec.decode(bytes)).isEqualTo(record);
  }

  @Test
  void writesTheSingleObjectHeaderWithTheSchemaFingerprint() {
    byte[] bytes = AvroCodec.of(Document.class).encode(Samples.document());

    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(fingerprint)
        .isEqualTo(SchemaNormalization.parsingFingerprint64(Document.getClassSchema()));
  }

  @Test
  void tellsBytesOfThisBuildsSchemaFromThoseOfAnyOtherAndFromGarbage() {
    AvroCodec<Document> codec = AvroCodec.of(Document.class);
    byte[] bytes = codec.encode(Samples.document());

    assertThat(codec.writtenByThisSchema(bytes)).isTrue();
    assertThat(codec.writtenByThisSchema(Arrays.copyOf(bytes, 10))).as("header only").isTrue();
    assertThat(codec.writtenByThisSchema(Arrays.copyOf(bytes, 9))).isFalse();
    assertThat(codec.writtenByThisSchema(null)).isFalse();
    assertThat(codec.writtenByThisSchema(new byte[0])).isFalse();
    assertThat(codec.writtenByThisSchema("{\"text\": \"not avro, just long enough\"}".getBytes()))
        .isFalse();
    assertThat(
            codec.writtenByThisSchema(AvroCodec.of(TrainerMetric.class).encode(Samples.metric())))
        .isFalse();
    long current = SchemaNormalization.parsingFingerprint64(codec.schema());
    for (Schema released : ReleasedSchemas.versionsOf(codec.schema().getName())) {
      long fingerprint = SchemaNormalization.parsingFingerprint64(released);
      byte[] old = bytes.clone();
      ByteBuffer.wrap(old, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(fingerprint);
      assertThat(codec.writtenByThisSchema(old))
          .as("written by a released version")
          .isEqualTo(fingerprint == current);
    }
  }

  /**
   * A projection reads its fields of a record written by this build's schema and by every released
   * version of it (each written here by converting the sample to that version), and refuses garbage
   * and a field the type does not have.
   */
  @Test
  void aProjectionReadsItsFieldsOfEveryReleasedVersionAndSkipsTheRest() throws IOException {
    AvroCodec<Document> codec = AvroCodec.of(Document.class);
    AvroCodec<Document>.Projection head = codec.projection("id", "images");
    Document doc = Samples.document();
    doc.setImages(
        List.of(
            ImageRef.newBuilder()
                .setIndex(0)
                .setSha256("ab".repeat(32))
                .setPhash(7L)
                .setWidth(2)
                .setHeight(3)
                .setSize(10L)
                .setOffset(0)
                .setMediaType("image/png")
                .build()));

    GenericRecord own = head.decode(codec.encode(doc));
    assertThat(own.getSchema().getFields())
        .extracting(Schema.Field::name)
        .containsExactly("id", "images");
    assertThat(own.get("id").toString()).isEqualTo(doc.getId());
    assertThat((Collection<?>) own.get("images")).hasSize(1);

    ByteArrayOutputStream body = new ByteArrayOutputStream();
    BinaryEncoder out = EncoderFactory.get().binaryEncoder(body, null);
    new SpecificDatumWriter<>(Document.class).write(doc, out);
    out.flush();
    for (Schema released : ReleasedSchemas.versionsOf(codec.schema().getName())) {
      GenericRecord asReleased =
          new GenericDatumReader<GenericRecord>(codec.schema(), released)
              .read(null, DecoderFactory.get().binaryDecoder(body.toByteArray(), null));
      ByteBuffer encoded =
          new BinaryMessageEncoder<GenericRecord>(GenericData.get(), released).encode(asReleased);
      byte[] old = new byte[encoded.remaining()];
      encoded.get(old);

      GenericRecord read = head.decode(old);
      assertThat(read.get("id").toString()).isEqualTo(doc.getId());
      assertThat((Collection<?>) read.get("images"))
          .as("images of a version that had them")
          .hasSize(released.getField("images") == null ? 0 : 1);
    }

    assertThat(head.decode(null)).isNull();
    assertThatThrownBy(() -> head.decode("{\"text\": \"not avro\"}".getBytes()))
        .isInstanceOf(RecordDecodeException.class)
        .hasMessageContaining("not Avro single-object encoded Document");
    byte[] bytes = codec.encode(doc);
    assertThatThrownBy(() -> head.decode(Arrays.copyOf(bytes, bytes.length / 2)))
        .isInstanceOf(RecordDecodeException.class)
        .hasMessageContaining("corrupt Document body");
    assertThatThrownBy(() -> codec.projection("id", "no_such_field"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Document has no field no_such_field");
  }

  /**
   * Each thread encodes into a buffer it keeps, up to 1 MB: a record past that, and the records
   * before and after it, still come out whole and alone.
   */
  @Test
  void recordsLargerAndSmallerThanTheKeptBufferEncodeWhole() {
    AvroCodec<Document> codec = AvroCodec.of(Document.class);
    Document small = Samples.document();
    Document large = Samples.document();
    large.setText("large text ".repeat(200_000));

    byte[] first = codec.encode(small);
    byte[] big = codec.encode(large);
    byte[] after = codec.encode(small);

    assertThat(big.length).isGreaterThan(2_000_000);
    assertThat(codec.decode(big)).isEqualTo(large);
    assertThat(after).isEqualTo(first);
    assertThat(codec.decode(after)).isEqualTo(small);
  }

  @Test
  void nullIsATombstoneBothWays() {
    AvroCodec<Document> codec = AvroCodec.of(Document.class);
    assertThat(codec.encode(null)).isNull();
    assertThat(codec.decode(null)).isNull();
  }

  @Test
  void plainTextIsRejectedWithAReason() {
    byte[] garbage = "{\"text\": \"not avro\"}".getBytes();

    assertThatThrownBy(() -> AvroCodec.of(Document.class).decode(garbage))
        .isInstanceOf(RecordDecodeException.class)
        .hasMessageContaining("not Avro single-object encoded Document");
  }

  @Test
  void anotherRecordTypeIsAnUnknownSchema() {
    byte[] metric = AvroCodec.of(TrainerMetric.class).encode(Samples.metric());

    assertThatThrownBy(() -> AvroCodec.of(Document.class).decode(metric))
        .isInstanceOf(RecordDecodeException.class)
        .hasMessageContaining("unknown writer schema for Document");
  }

  @Test
  void truncatedBodyIsCorrupt() {
    byte[] bytes = AvroCodec.of(Document.class).encode(Samples.document());
    byte[] cut = Arrays.copyOf(bytes, bytes.length / 2);

    assertThatThrownBy(() -> AvroCodec.of(Document.class).decode(cut))
        .isInstanceOf(RecordDecodeException.class)
        .hasMessageContaining("corrupt Document body");
  }

  @Test
  void serdeWrapsDecodeFailuresInKafkasSerializationException() {
    AvroSerde<Document> serde = new AvroSerde<>(Document.class);
    byte[] bytes = serde.serializer().serialize("t", Samples.document());

    assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(Samples.document());
    assertThatThrownBy(
            () -> serde.deserializer().deserialize("corpus.raw.v1", new byte[] {1, 2, 3}))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith("topic corpus.raw.v1: ")
        .hasCauseInstanceOf(RecordDecodeException.class);
  }

  @Test
  void incompleteRecordFailsToEncodeNamingTheType() {
    Document missingText = Samples.document();
    missingText.setText(null);

    assertThatThrownBy(() -> AvroCodec.of(Document.class).encode(missingText))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("cannot encode Document");
  }
}
