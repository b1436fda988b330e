package dev.refinery.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Holds every value schema to full compatibility with each of its released versions: the current
 * schema reads what they wrote, and they read what it writes. A schema change that breaks this
 * needs a new major version, that is, a new topic.
 */
class SchemaCompatibilityTest {
  private static final int RECORDS = 200;

  static Stream<Arguments> releasedVersions() {
    List<Arguments> all = new ArrayList<>();
    for (Schema current : ReleasedSchemas.VALUE_SCHEMAS) {
      List<Schema> released = ReleasedSchemas.versionsOf(current.getName());
      assertThat(released)
          .as(
              "%s has no released version under %s; run SchemaRelease",
              current.getName(), ReleasedSchemas.RESOURCE_ROOT)
          .isNotEmpty();
      for (int v = 0; v < released.size(); v++) {
        all.add(Arguments.of(current.getName() + " v" + (v + 1), current, released.get(v)));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("releasedVersions")
  void currentReadsReleasedAndReleasedReadsCurrent(String name, Schema current, Schema released) {
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, released).getType())
        .as("current %s reading data written by released %s", current.getName(), name)
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(released, current).getType())
        .as("released %s reading data written by the current schema", name)
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("releasedVersions")
  void recordsWrittenByReleasedDecodeWithTheCodec(String name, Schema current, Schema released)
      throws Exception {
    AvroCodec<?> codec = AvroCodec.of(classOf(current));
    BinaryMessageEncoder<Object> oldWriter =
        new BinaryMessageEncoder<>(GenericData.get(), released);

    int decoded = 0;
    for (Object record : new RandomData(released, RECORDS, 17L)) {
      ByteBuffer bytes = oldWriter.encode(record);
      SpecificRecord back = (SpecificRecord) codec.decode(toArray(bytes));
      assertThat(back.getSchema().getName()).isEqualTo(current.getName());
      decoded++;
    }
    assertThat(decoded).isEqualTo(RECORDS);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("releasedVersions")
  void recordsWrittenNowDecodeWithTheReleasedSchema(String name, Schema current, Schema released)
      throws Exception {
    BinaryMessageEncoder<Object> newWriter = new BinaryMessageEncoder<>(GenericData.get(), current);
    BinaryMessageDecoder<Object> oldReader =
        new BinaryMessageDecoder<>(GenericData.get(), released);
    oldReader.addSchema(current);

    int decoded = 0;
    for (Object record : new RandomData(current, RECORDS, 23L)) {
      Object back = oldReader.decode(newWriter.encode(record));
      assertThat(((GenericData.Record) back).getSchema().getName()).isEqualTo(released.getName());
      decoded++;
    }
    assertThat(decoded).isEqualTo(RECORDS);
  }

  @SuppressWarnings("unchecked")
  private static Class<? extends SpecificRecord> classOf(Schema schema)
      throws ClassNotFoundException {
    return (Class<? extends SpecificRecord>) Class.forName(schema.getFullName());
  }

  private static byte[] toArray(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
