package dev.refinery.ingest;

import static dev.refinery.ingest.Fixtures.WEB;
import static dev.refinery.ingest.Fixtures.documents;
import static dev.refinery.ingest.Fixtures.gzip;
import static dev.refinery.ingest.Fixtures.progress;
import static dev.refinery.ingest.Fixtures.rejections;
import static dev.refinery.ingest.Fixtures.write;
import static dev.refinery.ingest.Fixtures.zstd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.IngestProgress;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Stage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ingest unit alone: no broker here, so Kafka's own MockProducer (transactional) stands in. */
class IngestorTest {
  static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

  @TempDir Path dir;
  MockProducer<String, byte[]> producer =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
  ProgressStore store = ProgressStore.empty();

  Ingestor ingestor(Map<String, Object> settings) {
    Map<String, Object> all =
        new HashMap<>(
            Map.of(IngestConfig.MAX_DOCUMENT_BYTES, 4096, IngestConfig.REJECTED_MAX_BYTES, 100));
    all.putAll(settings);
    return new Ingestor(
        new IngestConfig(all),
        producer,
        store,
        IngestMetrics.inMemory(),
        Clock.fixed(NOW, ZoneOffset.UTC));
  }

  Ingestor ingestor() {
    return ingestor(Map.of());
  }

  @Test
  void dolmaAndRedPajamaLayoutsWorkAsTheyAre() throws IOException {
    Path file =
        write(
            dir,
            "mixed.jsonl",
            ("""
        {"id": "d1", "text": "A Dolma document.", "source": "common-crawl", "added": "2023-04-07T15:24:38.743534+00:00", "created": "2020-03-29T09:04:10Z", "metadata": {"url": "https://example.org/a", "language": "en", "perplexity": 304.6, "line_ids": [1, 2]}}
        {"text": "A RedPajama v1 document.", "meta": {"url": "https://example.org/b", "timestamp": 1666000000, "language": "en"}}
        {"raw_content": "A RedPajama v2 document.", "doc_id": "rp2-7"}
        """)
                .getBytes(StandardCharsets.UTF_8));

    IngestReport report = ingestor().ingest(file, WEB);

    assertThat(report.documents()).isEqualTo(3);
    List<Document> docs = documents(producer);
    Document dolma = docs.get(0);
    assertThat(dolma.getId()).isEqualTo(DocumentIds.of("web-test", "d1"));
    assertThat(dolma.getUrl()).isEqualTo("https://example.org/a");
    assertThat(dolma.getFetchedAt()).isEqualTo(Instant.parse("2020-03-29T09:04:10Z"));
    assertThat(dolma.getIngestedAt()).isEqualTo(NOW);
    assertThat(dolma.getSource().getLicence().getSpdxId()).isEqualTo("CC-BY-4.0");
    assertThat(dolma.getSource().getStream()).isEqualTo("web");
    assertThat(dolma.getAttributes())
        .containsEntry("source", "common-crawl")
        .containsEntry("metadata.language", "en")
        .containsEntry("metadata.perplexity", "304.6")
        .containsEntry("origin", "mixed.jsonl:1")
        .doesNotContainKey("metadata.line_ids");
    Document v1 = docs.get(1);
    assertThat(v1.getId()).isEqualTo(DocumentIds.of("web-test", "https://example.org/b"));
    assertThat(v1.getFetchedAt()).isEqualTo(Instant.ofEpochSecond(1666000000));
    assertThat(docs.get(2).getText()).isEqualTo("A RedPajama v2 document.");
    assertThat(docs.get(2).getNativeId()).isEqualTo("rp2-7");
  }

  @Test
  void documentsAndProgressCommitTogetherInTransactionsOfTheConfiguredSize() throws IOException {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 7; i++) {
      lines
          .append("{\"id\": ")
          .append(i)
          .append(", \"text\": \"document ")
          .append(i)
          .append("\"}\n");
    }
    Path file = write(dir, "seven.jsonl", lines.toString().getBytes(StandardCharsets.UTF_8));

    ingestor(Map.of(IngestConfig.COMMIT_RECORDS, 3)).ingest(file, WEB);

    assertThat(producer.commitCount()).isEqualTo(3);
    assertThat(progress(producer))
        .extracting(IngestProgress::getRecords)
        .containsExactly(3L, 6L, 7L);
    assertThat(progress(producer))
        .extracting(IngestProgress::getDone)
        .containsExactly(false, false, true);
    IngestProgress last = progress(producer).get(2);
    assertThat(last.getDocuments()).isEqualTo(7);
    assertThat(last.getFile()).isEqualTo(file.toString());
  }

  @Test
  void aFileDoneBeforeIsNotReadAgain() throws IOException {
    Path file =
        write(
            dir,
            "once.jsonl",
            "{\"text\": \"one\"}\n{\"text\": \"two\"}\n".getBytes(StandardCharsets.UTF_8));
    Ingestor ingestor = ingestor();

    ingestor.ingest(file, WEB);
    IngestReport again = ingestor.ingest(file, WEB);

    assertThat(again.outcome()).isEqualTo(IngestReport.Outcome.UNCHANGED);
    assertThat(again.documents()).isZero();
    assertThat(documents(producer)).hasSize(2);
    IngestProgress recorded = progress(producer).get(progress(producer).size() - 1);
    assertThat(recorded.getOutcome()).isEqualTo("UNCHANGED");
    assertThat(recorded.getDone()).isTrue();
    assertThat(recorded.getDocuments()).isEqualTo(2);
    assertThat(recorded.getSha256()).isEqualTo(FileHash.of(file));
  }

  /** Lines of about 1 KiB: a file of {@code n} of them is larger than two MiB for n > 2100. */
  private static String kibLines(int n, String mark) {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < n; i++) {
      lines
          .append("{\"id\": \"")
          .append(String.format("%05d", i))
          .append("\", \"text\": \"")
          .append(mark)
          .append(' ')
          .append("word ".repeat(200))
          .append("\"}\n");
    }
    return lines.toString();
  }

  @Test
  void aFileOfTheSameSizeWhoseMiddleChangedIsReadAgain() throws IOException {
    // 3,000 lines, over 3 MiB: the middle is far from the first and last MiB
    String before = kibLines(3000, "old");
    Path file = write(dir, "shard.jsonl", before.getBytes(StandardCharsets.UTF_8));
    Ingestor ingestor = ingestor();
    ingestor.ingest(file, WEB);
    int firstRun = documents(producer).size();
    // 100 lines in the middle changed, the size the same
    String[] lines = before.split("\n", -1);
    for (int i = 1450; i < 1550; i++) {
      lines[i] = lines[i].replace("\"old ", "\"new ");
    }
    write(dir, "shard.jsonl", String.join("\n", lines).getBytes(StandardCharsets.UTF_8));

    IngestReport again = ingestor.ingest(file, WEB);

    assertThat(firstRun).isEqualTo(3000);
    assertThat(again.outcome()).isEqualTo(IngestReport.Outcome.INGESTED);
    assertThat(again.reason()).contains("changed since it was ingested");
    assertThat(again.documents()).isEqualTo(3000);
    List<Document> sent = documents(producer).subList(firstRun, documents(producer).size());
    assertThat(sent.stream().filter(d -> d.getText().startsWith("new "))).hasSize(100);
    assertThat(progress(producer).get(progress(producer).size() - 1).getSha256())
        .isEqualTo(FileHash.of(file));
  }

  @Test
  void aByteIdenticalCopyUnderAnotherNameIsIngestedWithTheSameIds() throws IOException {
    byte[] licence = kibLines(20, "GPL").getBytes(StandardCharsets.UTF_8);
    Path original = write(dir, "GPL.jsonl", licence);
    Path copy = write(dir, "GPL-3.jsonl", licence);
    Ingestor ingestor = ingestor();

    IngestReport first = ingestor.ingest(original, WEB);
    IngestReport second = ingestor.ingest(copy, WEB);

    assertThat(first.outcome()).isEqualTo(IngestReport.Outcome.INGESTED);
    assertThat(second.outcome()).isEqualTo(IngestReport.Outcome.INGESTED);
    assertThat(second.documents()).isEqualTo(20);
    // the same ids: dedup-filter drops the copy's documents as replays
    List<Document> docs = documents(producer);
    assertThat(docs.subList(20, 40))
        .extracting(Document::getId)
        .containsExactlyElementsOf(docs.subList(0, 20).stream().map(Document::getId).toList());
    assertThat(docs.subList(20, 40))
        .extracting(d -> d.getAttributes().get("origin"))
        .allMatch(origin -> origin.startsWith("GPL-3.jsonl:"));
  }

  @Test
  void aFileThatCannotBeReadIsRefusedOnTheRecordAndTheRunGoesOn() throws IOException {
    Path odd = write(dir, "data.bin", new byte[] {1});
    Ingestor ingestor = ingestor();

    IngestReport unknown = ingestor.ingest(odd, WEB);
    IngestReport missing = ingestor.ingest(dir.resolve("nope.jsonl"), WEB);
    IngestReport folder = ingestor.ingest(dir, WEB);

    assertThat(List.of(unknown, missing, folder))
        .extracting(IngestReport::outcome)
        .containsOnly(IngestReport.Outcome.REFUSED);
    assertThat(unknown.reason()).contains("cannot tell the format").contains("--format");
    assertThat(missing.reason()).contains("no such file");
    assertThat(folder.reason()).contains("not a regular file");
    assertThat(progress(producer))
        .extracting(IngestProgress::getOutcome, IngestProgress::getFingerprint)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("REFUSED", "data.bin"),
            org.assertj.core.groups.Tuple.tuple("REFUSED", "nope.jsonl"),
            org.assertj.core.groups.Tuple.tuple("REFUSED", dir.getFileName().toString()));
    assertThat(progress(producer)).extracting(IngestProgress::getReason).doesNotContainNull();
  }

  @Test
  void aResumeFindsTheFileChangedUnderTheCommittedRecordsAndReadsItFromTheStart()
      throws IOException {
    byte[] original = kibLines(10, "old").getBytes(StandardCharsets.UTF_8);
    Path file = write(dir, "ten.jsonl", original);
    FileHash.Prefix firstFour = FileHash.prefix(file, 4 * 1100L);
    store.committed(
        ProgressStore.key(WEB.name(), "ten.jsonl"),
        interrupted("ten.jsonl", 4)
            .setHashedBytes(firstFour.bytes())
            .setHashedSha256(firstFour.sha256())
            .build());
    write(dir, "ten.jsonl", kibLines(10, "new").getBytes(StandardCharsets.UTF_8));

    IngestReport report = ingestor().ingest(file, WEB);

    assertThat(report.outcome()).isEqualTo(IngestReport.Outcome.INGESTED);
    assertThat(report.resumedAt()).isZero();
    assertThat(report.reason()).contains("changed since an interrupted run");
    assertThat(report.documents()).isEqualTo(10);
  }

  static IngestProgress.Builder interrupted(String name, long records) {
    return IngestProgress.newBuilder()
        .setSource(WEB.name())
        .setFile("elsewhere/" + name)
        .setFingerprint(name)
        .setRecords(records)
        .setBytes(0)
        .setDocuments(records)
        .setRejected(0)
        .setDone(false)
        .setOutcome("IN_PROGRESS")
        .setUpdatedAt(NOW);
  }

  @Test
  void anInterruptedFileResumesAfterWhatWasCommitted() throws IOException {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      lines
          .append("{\"id\": ")
          .append(i)
          .append(", \"text\": \"document ")
          .append(i)
          .append("\"}\n");
    }
    Path file = write(dir, "ten.jsonl.gz", gzip(lines.toString().getBytes(StandardCharsets.UTF_8)));
    // what the run that was killed committed: 4 records, the file's bytes they came from hashed
    FileHash.Prefix head = FileHash.prefix(file, 100);
    store.committed(
        ProgressStore.key(WEB.name(), "ten.jsonl.gz"),
        interrupted("ten.jsonl.gz", 4)
            .setHashedBytes(head.bytes())
            .setHashedSha256(head.sha256())
            .build());

    IngestReport report = ingestor().ingest(file, WEB);

    assertThat(report.outcome()).isEqualTo(IngestReport.Outcome.RESUMED);
    assertThat(report.resumedAt()).isEqualTo(4);
    assertThat(report.documents()).isEqualTo(6);
    assertThat(documents(producer))
        .extracting(Document::getNativeId)
        .containsExactly("4", "5", "6", "7", "8", "9");
    assertThat(progress(producer).get(progress(producer).size() - 1).getDocuments()).isEqualTo(10);
  }

  @Test
  void everyKindOfBadLineIsRejectedWithItsReasonAndTheRestGoesThrough() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes("{\"text\": \"good one\"}\n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes("{\"text\": \"unterminated\n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes("[1, 2, 3]\n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes("{\"body\": \"no text field\"}\n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes("{\"text\": 42}\n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes("{\"text\": \"   \"}\n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes("{\"text\": \"nul \\u0000 inside\"}\n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes(
        new byte[] {
          '{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'
        });
    bytes.writeBytes(
        ("{\"text\": \"" + "x".repeat(5000) + "\"}\n").getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes("{\"text\": \"a\"} trailing\n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes("\n   \n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes("{\"text\": \"good two\"}\n".getBytes(StandardCharsets.UTF_8));
    Path file = write(dir, "garbage.jsonl", bytes.toByteArray());

    IngestReport report = ingestor().ingest(file, WEB);

    assertThat(report.documents()).isEqualTo(2);
    assertThat(report.rejected())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "MALFORMED_JSON",
                2L,
                "NOT_AN_OBJECT",
                1L,
                "MISSING_TEXT",
                2L,
                "EMPTY_TEXT",
                1L,
                "TEXT_HAS_NUL",
                1L,
                "INVALID_UTF8",
                1L,
                "DOCUMENT_TOO_LARGE",
                1L));
    assertThat(documents(producer))
        .extracting(Document::getText)
        .containsExactly("good one", "good two");
    List<RejectedDocument> rejections = rejections(producer);
    assertThat(rejections)
        .allSatisfy(
            r -> {
              assertThat(r.getStage()).isEqualTo(Stage.INGEST);
              assertThat(r.getSource().getName()).isEqualTo("web-test");
              assertThat(r.getLocation()).startsWith("garbage.jsonl:");
              assertThat(r.getDetail()).isNotBlank();
              assertThat(r.getOriginal().remaining()).isLessThanOrEqualTo(100);
            });
    RejectedDocument malformed = rejections.get(0);
    assertThat(malformed.getLocation()).isEqualTo("garbage.jsonl:2");
    assertThat(StandardCharsets.UTF_8.decode(malformed.getOriginal()).toString())
        .isEqualTo("{\"text\": \"unterminated");
    RejectedDocument tooLarge =
        rejections.stream()
            .filter(r -> r.getReason().equals("DOCUMENT_TOO_LARGE"))
            .findFirst()
            .get();
    assertThat(tooLarge.getOriginalSize()).isEqualTo(5012);
    assertThat(tooLarge.getMeasured()).isEqualTo(5012.0);
    assertThat(tooLarge.getThreshold()).isEqualTo(4096.0);
  }

  @Test
  void cutGzipAndZstdFilesKeepWhatCouldBeReadAndRecordWhereTheyBroke() throws IOException {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      lines
          .append("{\"id\": ")
          .append(i)
          .append(", \"text\": \"document number ")
          .append(i)
          .append(" with words\"}\n");
    }
    // over 1 MB, so zstd writes several blocks and a cut file still has whole ones
    byte[] plain = lines.toString().getBytes(StandardCharsets.UTF_8);
    byte[] gz = gzip(plain);
    byte[] zst = zstd(plain);
    Path cutGz = write(dir, "cut.jsonl.gz", Arrays.copyOf(gz, gz.length * 2 / 3));
    Path cutZst = write(dir, "cut.jsonl.zst", Arrays.copyOf(zst, zst.length * 2 / 3));
    Path wholeZst = write(dir, "whole.jsonl.zst", zst);

    Ingestor ingestor = ingestor();
    IngestReport gzReport = ingestor.ingest(cutGz, WEB);
    IngestReport zstReport = ingestor.ingest(cutZst, WEB);
    IngestReport whole = ingestor.ingest(wholeZst, WEB);

    for (IngestReport cut : List.of(gzReport, zstReport)) {
      assertThat(cut.documents()).isBetween(1L, 19_999L);
      assertThat(cut.rejected()).containsExactly(Map.entry("TRUNCATED_INPUT", 1L));
    }
    assertThat(whole.documents()).isEqualTo(20_000);
    assertThat(rejections(producer))
        .extracting(RejectedDocument::getLocation)
        .anySatisfy(l -> assertThat(l).startsWith("cut.jsonl.gz@"))
        .anySatisfy(l -> assertThat(l).startsWith("cut.jsonl.zst@"));
    assertThat(rejections(producer).get(0).getDetail()).contains("input ends early");
  }

  @Test
  void aDecompressionBombIsStoppedAtTheBound() throws IOException {
    byte[] zeros = new byte[8 * 1024 * 1024];
    Path bomb = write(dir, "bomb.jsonl.gz", gzip(zeros));

    IngestReport report =
        ingestor(Map.of(IngestConfig.MAX_DECOMPRESSED_BYTES, 1024 * 1024)).ingest(bomb, WEB);

    assertThat(report.rejected()).containsEntry("DECOMPRESSION_LIMIT", 1L);
    RejectedDocument limit =
        rejections(producer).stream()
            .filter(r -> r.getReason().equals("DECOMPRESSION_LIMIT"))
            .findFirst()
            .get();
    assertThat(limit.getThreshold()).isEqualTo(1024.0 * 1024);
    assertThat(limit.getDetail()).contains(IngestConfig.MAX_DECOMPRESSED_BYTES);
    assertThat(report.bytes()).isLessThanOrEqualTo(1024 * 1024 + 64 * 1024);
  }

  @Test
  void aBombIsAlsoCaughtByItsCompressionRatio() throws IOException {
    Path bomb = write(dir, "ratio.jsonl.gz", gzip(new byte[80 * 1024 * 1024]));

    IngestReport report = ingestor().ingest(bomb, WEB);

    assertThat(report.rejected()).containsKey("DECOMPRESSION_LIMIT");
    assertThat(rejections(producer))
        .anySatisfy(r -> assertThat(r.getDetail()).contains(IngestConfig.MAX_COMPRESSION_RATIO));
  }

  @Test
  void aGzFileThatIsNotGzipIsOneRejectionNotACrash() throws IOException {
    Path fake =
        write(
            dir,
            "fake.jsonl.gz",
            "{\"text\": \"plain text pretending\"}\n".getBytes(StandardCharsets.UTF_8));

    IngestReport report = ingestor().ingest(fake, WEB);

    assertThat(report.documents()).isZero();
    assertThat(report.rejected()).containsExactly(Map.entry("CORRUPT_INPUT", 1L));
    assertThat(StandardCharsets.UTF_8.decode(rejections(producer).get(0).getOriginal()).toString())
        .startsWith("{\"text\"");
  }

  @Test
  void plainTextFilesAreOneDocumentEachWithTheirPathAsId() throws IOException {
    Path good =
        write(
            dir,
            "essay.txt",
            "An essay, in one file.\nWith two lines.".getBytes(StandardCharsets.UTF_8));
    Path latin1 = write(dir, "latin1.txt", "Caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
    Path empty = write(dir, "empty.md", new byte[0]);
    Path big = write(dir, "big.txt.gz", gzip("y".repeat(5000).getBytes(StandardCharsets.UTF_8)));
    Ingestor ingestor = ingestor();

    ingestor.ingest(new Ingestor.Input(good, WEB, null, "essays/essay.txt"), IngestListener.NONE);
    for (Path p : List.of(latin1, empty, big)) {
      ingestor.ingest(p, WEB);
    }

    assertThat(documents(producer))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.getText()).isEqualTo("An essay, in one file.\nWith two lines.");
              assertThat(d.getId()).isEqualTo(DocumentIds.of("web-test", "essays/essay.txt"));
            });
    assertThat(rejections(producer))
        .extracting(RejectedDocument::getReason)
        .containsExactly("INVALID_UTF8", "EMPTY_TEXT", "DOCUMENT_TOO_LARGE");
  }

  @Test
  void aFailedCommitLeavesNothingAndSaysARerunResumes() throws IOException {
    Path file =
        write(
            dir,
            "two.jsonl",
            "{\"text\": \"x\"}\n{\"text\": \"y\"}\n".getBytes(StandardCharsets.UTF_8));
    Ingestor ingestor = ingestor();
    producer.commitTransactionException = new TimeoutException("broker away");

    assertThatThrownBy(() -> ingestor.ingest(file, WEB))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("broker away")
        .hasMessageContaining("resumes");
    assertThat(producer.history()).isEmpty();
    assertThat(producer.transactionAborted()).isTrue();
  }

  @Test
  void beingFencedByAnotherProcessIsExplained() throws IOException {
    Path file = write(dir, "one.jsonl", "{\"text\": \"x\"}\n".getBytes(StandardCharsets.UTF_8));
    Ingestor ingestor = ingestor();
    producer.commitTransactionException = new ProducerFencedException("fenced");

    assertThatThrownBy(() -> ingestor.ingest(file, WEB))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("another ingest process")
        .hasMessageContaining(IngestConfig.TRANSACTIONAL_ID);
  }
}
