package dev.refinery.tokenizer.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.Licence;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import java.io.IOException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SingleObjectSchemasTest {

  @Test
  void flinkSchemasRoundTripAndNameBadInput() throws IOException {
    Document doc =
        Document.newBuilder()
            .setId("d")
            .setText("hello")
            .setSource(
                Source.newBuilder()
                    .setName("s")
                    .setKind(SourceKind.PUBLIC_WEB)
                    .setLicence(Licence.newBuilder().setSpdxId("CC0-1.0").build())
                    .build())
            .setIngestedAt(Instant.EPOCH)
            .build();
    SingleObjectSerializationSchema<Document> out =
        new SingleObjectSerializationSchema<>(Document.class);
    SingleObjectDeserializationSchema<Document> in =
        new SingleObjectDeserializationSchema<>(Document.class);

    assertThat(in.deserialize(out.serialize(doc))).isEqualTo(doc);
    assertThat(in.getProducedType().getTypeClass()).isEqualTo(Document.class);
    assertThatThrownBy(() -> in.deserialize(new byte[] {0, 1}))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not Avro single-object encoded");
  }
}
