package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.infra.testing.SharedData;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Ingest against the real embedded broker. */
class IngestIT {
  static final SourceDeclaration DOLMA =
      new SourceDeclaration("dolma-cc", SourceKind.PUBLIC_WEB, "ODC-BY-1.0", null, null, "web");
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  @TempDir Path dir;

  private IngestConfig config() {
    return new IngestConfig(Map.of("bootstrap.servers", kafka.bootstrapServers()));
  }

  @Test
  void aMalformedLineIsRejectedWithAClearReasonAndTheRestOfTheFileGoesThrough() throws IOException {
    SourceDeclaration source =
        new SourceDeclaration(
            "malformed-test", SourceKind.SYNTHETIC, "CC0-1.0", null, null, "main");
    Path file = dir.resolve("three.jsonl");
    Files.writeString(
        file,
        """
        {"id": "m1", "text": "The first line is fine."}
        {"id": "m2", "text": "The second line lost its closing brace"
        {"id": "m3", "text": "The third line is fine too."}
        """,
        StandardCharsets.UTF_8);

    try (Ingestor ingestor = Ingestor.create(config())) {
      IngestReport report = ingestor.ingest(file, source);
      assertThat(report.documents()).isEqualTo(2);
      assertThat(report.rejected()).containsExactly(Map.entry("MALFORMED_JSON", 1L));
    }

    List<Document> raw =
        kafka.values(Topics.CORPUS_RAW).stream()
            .filter(d -> d.getSource().getName().equals("malformed-test"))
            .toList();
    assertThat(raw).extracting(Document::getNativeId).containsExactlyInAnyOrder("m1", "m3");
    List<RejectedDocument> rejected =
        kafka.values(Topics.CORPUS_REJECTED).stream()
            .filter(r -> r.getSource().getName().equals("malformed-test"))
            .toList();
    assertThat(rejected)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getReason()).isEqualTo("MALFORMED_JSON");
              assertThat(r.getDetail()).startsWith("malformed JSON: ");
              assertThat(r.getLocation()).isEqualTo("three.jsonl:2");
              assertThat(StandardCharsets.UTF_8.decode(r.getOriginal()).toString())
                  .isEqualTo(
                      "{\"id\": \"m2\", \"text\": \"The second line lost its closing brace\"");
            });
  }

  @Test
  void realDolmaShardsArriveWithProvenanceAndStableIds() {
    Path shard = SharedData.corpus("dolma-cc_en_head-0091.jsonl.gz");

    IngestReport first;
    try (Ingestor ingestor = Ingestor.create(config())) {
      first = ingestor.ingest(shard, DOLMA);
      ingestor.ingest(shard, DOLMA);
    }

    assertThat(first.documents()).isEqualTo(10);
    assertThat(first.rejectedTotal()).isZero();
    List<Document> docs =
        kafka.values(Topics.CORPUS_RAW).stream()
            .filter(d -> d.getSource().getName().equals("dolma-cc"))
            .toList();
    assertThat(docs).hasSize(20);
    Set<String> ids = docs.stream().map(Document::getId).collect(Collectors.toSet());
    assertThat(ids).as("re-ingesting yields the same ids").hasSize(10);
    assertThat(docs)
        .allSatisfy(
            d -> {
              assertThat(d.getUrl()).startsWith("http");
              assertThat(d.getFetchedAt()).isNotNull();
              assertThat(d.getSource().getLicence().getSpdxId()).isEqualTo("ODC-BY-1.0");
              assertThat(d.getAttributes()).containsKey("metadata.title");
            });
  }
}
