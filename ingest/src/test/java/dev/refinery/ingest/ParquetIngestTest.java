package dev.refinery.ingest;

import static dev.refinery.ingest.Fixtures.WEB;
import static dev.refinery.ingest.Fixtures.documents;
import static dev.refinery.ingest.Fixtures.rejections;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.IngestProgress;
import dev.refinery.schemas.RejectedDocument;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parquet in FineWeb's column layout, written by the test, read without Hadoop. */
class ParquetIngestTest {
  @TempDir Path dir;
  MockProducer<String, byte[]> producer =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
  ProgressStore store = ProgressStore.empty();

  Ingestor ingestor(Map<String, Object> settings) {
    return new Ingestor(
        new IngestConfig(settings),
        producer,
        store,
        IngestMetrics.inMemory(),
        Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC));
  }

  /** FineWeb's columns; every 97th row has no text; row groups of 100 rows. */
  Path fineweb(String name, int rows) throws Exception {
    Path file = dir.resolve(name);
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement()) {
      s.execute(
          "COPY (SELECT CASE WHEN i % 97 = 96 THEN NULL ELSE 'Document number ' || i || ' of the"
              + " crawl, a paragraph of web text.' END AS text, '<urn:uuid:' || i || '>' AS id,"
              + " 'CC-MAIN-2024-10' AS dump, 'https://example.org/page/' || i AS url,"
              + " '2024-02-21T10:00:00Z' AS date, 's3://commoncrawl/x.warc.gz' AS file_path, 'en' AS"
              + " language, 0.93 AS language_score, 12 AS token_count FROM range("
              + rows
              + ") t(i)) TO '"
              + file
              + "' (FORMAT parquet, ROW_GROUP_SIZE 100)");
    }
    return file;
  }

  @Test
  void fineWebColumnsMapLikeJsonlAndRowsWithoutTextAreRejectedAlone() throws Exception {
    Path file = fineweb("000_00000.parquet", 1000);

    IngestReport report = ingestor(Map.of()).ingest(file, WEB);

    assertThat(report.records()).isEqualTo(1000);
    assertThat(report.documents()).isEqualTo(990);
    assertThat(report.rejected()).containsEntry("MISSING_TEXT", 10L);
    Document first = documents(producer).get(0);
    assertThat(first.getText()).startsWith("Document number 0 ");
    assertThat(first.getNativeId()).isEqualTo("<urn:uuid:0>");
    assertThat(first.getUrl()).isEqualTo("https://example.org/page/0");
    assertThat(first.getFetchedAt()).isEqualTo(Instant.parse("2024-02-21T10:00:00Z"));
    assertThat(first.getAttributes())
        .containsEntry("dump", "CC-MAIN-2024-10")
        .containsEntry("language", "en")
        .containsEntry("origin", "000_00000.parquet:row 1");
    assertThat(rejections(producer))
        .extracting(RejectedDocument::getLocation)
        .first()
        .isEqualTo("000_00000.parquet:row 97");
  }

  @Test
  void anInterruptedFileResumesAfterTheCommittedRowsExactlyOnce() throws Exception {
    Path file = fineweb("resume.parquet", 500);
    FileHash.Prefix whole = FileHash.prefix(file, Files.size(file));
    store.committed(
        ProgressStore.key(WEB.name(), "resume.parquet"),
        IngestProgress.newBuilder()
            .setSource(WEB.name())
            .setFile(file.toString())
            .setFingerprint("resume.parquet")
            .setRecords(300)
            .setBytes(0)
            .setDocuments(297)
            .setRejected(3)
            .setDone(false)
            .setHashedBytes(whole.bytes())
            .setHashedSha256(whole.sha256())
            .setUpdatedAt(Instant.EPOCH)
            .build());

    IngestReport report = ingestor(Map.of(IngestConfig.COMMIT_RECORDS, 50)).ingest(file, WEB);

    assertThat(report.outcome()).isEqualTo(IngestReport.Outcome.RESUMED);
    assertThat(report.resumedAt()).isEqualTo(300);
    List<Document> docs = documents(producer);
    assertThat(docs.get(0).getNativeId()).isEqualTo("<urn:uuid:300>");
    assertThat(docs).hasSize(198);
  }

  @Test
  void aFileThatIsNotParquetIsRejectedAsAWhole() throws Exception {
    Path file = Files.writeString(dir.resolve("fake.parquet"), "PAR1 but not really");

    IngestReport report = ingestor(Map.of()).ingest(file, WEB);

    assertThat(report.documents()).isZero();
    assertThat(report.rejected()).containsEntry("CORRUPT_INPUT", 1L);
    assertThat(rejections(producer).get(0).getDetail()).contains("Parquet");
  }
}
