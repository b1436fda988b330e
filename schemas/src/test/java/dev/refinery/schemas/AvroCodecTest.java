package dev.refinery.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
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
