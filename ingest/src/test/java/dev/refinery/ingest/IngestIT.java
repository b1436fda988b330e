package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.infra.testing.SharedData;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.IngestProgress;
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

/** Ingest of every source format against the real embedded broker, on the real samples. */
class IngestIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  @TempDir Path dir;

  static SourceDeclaration source(String name) {
    return new SourceDeclaration(name, SourceKind.PUBLIC_WEB, "ODC-BY-1.0", null, null, "web");
  }

  private IngestConfig config(Map<String, Object> more) {
    Map<String, Object> values =
        new java.util.HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers()));
    values.putAll(more);
    return new IngestConfig(values);
  }

  private Ingestor ingestor(String id) {
    return Ingestor.create(config(Map.of()), id, IngestMetrics.inMemory());
  }

  private List<Document> docsOf(String source) {
    return kafka.values(Topics.CORPUS_RAW).stream()
        .filter(d -> d.getSource().getName().equals(source))
        .toList();
  }

  @Test
  void aMalformedLineIsRejectedWithAClearReasonAndTheRestOfTheFileGoesThrough() throws IOException {
    SourceDeclaration source = source("malformed-test");
    Path file = dir.resolve("three.jsonl");
    Files.writeString(
        file,
        """
        {"id": "m1", "text": "The first line is fine."}
        {"id": "m2", "text": "The second line lost its closing brace"
        {"id": "m3", "text": "The third line is fine too."}
        """,
        StandardCharsets.UTF_8);

    try (Ingestor ingestor = ingestor("it-malformed")) {
      IngestReport report = ingestor.ingest(file, source);
      assertThat(report.documents()).isEqualTo(2);
      assertThat(report.rejected()).containsExactly(Map.entry("MALFORMED_JSON", 1L));
    }

    assertThat(docsOf("malformed-test"))
        .extracting(Document::getNativeId)
        .containsExactlyInAnyOrder("m1", "m3");
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
  void realDolmaShardsArriveOnceWithProvenanceAndAreNotReadTwice() {
    Path first = SharedData.corpus("dolma-cc_en_head-0091.jsonl.gz");
    Path second = SharedData.corpus("dolma-cc_en_head-0174.jsonl.gz");
    IngestReport again;
    try (Ingestor ingestor = ingestor("it-dolma")) {
      assertThat(ingestor.ingest(first, source("dolma-cc")).documents()).isEqualTo(10);
      assertThat(ingestor.ingest(second, source("dolma-cc")).documents()).isEqualTo(10);
    }
    try (Ingestor restarted = ingestor("it-dolma")) {
      again = restarted.ingest(first, source("dolma-cc"));
    }

    assertThat(again.outcome() == IngestReport.Outcome.UNCHANGED)
        .as("progress on ingest.progress.v1 survives the process")
        .isTrue();
    List<Document> docs = docsOf("dolma-cc");
    assertThat(docs).hasSize(20);
    assertThat(docs.stream().map(Document::getId).collect(Collectors.toSet())).hasSize(20);
    assertThat(docs)
        .allSatisfy(
            d -> {
              assertThat(d.getUrl()).startsWith("http");
              assertThat(d.getFetchedAt()).isNotNull();
              assertThat(d.getSource().getLicence().getSpdxId()).isEqualTo("ODC-BY-1.0");
              assertThat(d.getAttributes()).containsKeys("metadata.title", "source", "origin");
            });
    List<IngestProgress> progress =
        kafka.values(Topics.INGEST_PROGRESS).stream()
            .filter(p -> p.getSource().equals("dolma-cc"))
            .toList();
    assertThat(progress).allSatisfy(p -> assertThat(p.getDone()).isTrue());
  }

  @Test
  void realCommonCrawlWarcFilesGiveTheMainTextOfEachPage() {
    IngestReport zero;
    IngestReport one;
    try (Ingestor ingestor = ingestor("it-warc")) {
      zero = ingestor.ingest(SharedData.corpus("dolma-sample-0000.warc.gz"), source("warc-0"));
      one = ingestor.ingest(SharedData.corpus("dolma-sample-0001.warc.gz"), source("warc-1"));
    }

    assertThat(zero.documents()).isEqualTo(22);
    assertThat(zero.skipped()).as("warcinfo, requests, metadata, resources").isEqualTo(26);
    assertThat(one.documents() + one.rejectedTotal()).isEqualTo(15);
    assertThat(one.rejected()).containsOnlyKeys("EMPTY_TEXT");
    List<Document> pages = docsOf("warc-0");
    assertThat(pages).hasSize(22);
    Document team =
        pages.stream()
            .filter(
                d -> d.getUrl().equals("https://www.semanticscholar.org/research/research-team"))
            .findFirst()
            .get();
    assertThat(team.getAttributes())
        .containsEntry("title", "Semantic Scholar | Research | Research Team")
        .containsEntry("http_status", "200")
        .containsKey("warc_record_id");
    assertThat(team.getText())
        .contains("Dan Weld\nChief Scientist")
        .doesNotContain("<div")
        .doesNotContain("function(");
    assertThat(team.getFetchedAt()).hasToString("2024-04-25T16:24:44Z");
  }

  @Test
  void aRealWetFileGivesEachConversionRecord() {
    IngestReport report;
    try (Ingestor ingestor = ingestor("it-wet")) {
      report = ingestor.ingest(SharedData.corpus("ccnet-sample.wet"), source("wet"));
    }

    assertThat(report.documents()).isEqualTo(3);
    assertThat(docsOf("wet"))
        .extracting(Document::getUrl)
        .containsExactlyInAnyOrder(
            "http://sample_english.com", "http://sample_chinese.zh", "http://sample_russian.ru");
    assertThat(docsOf("wet")).anySatisfy(d -> assertThat(d.getText()).startsWith("馬克·吐溫名言"));
  }

  @Test
  void theCompressionFixturesReadAlikeWithAMappedTextField() {
    IngestConfig message = config(Map.of(IngestConfig.TEXT_FIELD, "message"));
    Set<String> ids;
    try (Ingestor ingestor = Ingestor.create(message, "it-fixtures", IngestMetrics.inMemory())) {
      for (String name :
          List.of("dolma-test.jsonl", "dolma-test.jsonl.gz", "dolma-test.jsonl.zst")) {
        assertThat(ingestor.ingest(SharedData.corpus(name), source("fixtures")).documents())
            .as(name)
            .isEqualTo(1);
      }
    }
    ids = docsOf("fixtures").stream().map(Document::getId).collect(Collectors.toSet());
    assertThat(docsOf("fixtures"))
        .hasSize(3)
        .allSatisfy(d -> assertThat(d.getText()).isEqualTo("this is a test"));
    assertThat(ids)
        .as("same content, same source, same id: dedup-filter drops the replays")
        .hasSize(1);
  }
}
