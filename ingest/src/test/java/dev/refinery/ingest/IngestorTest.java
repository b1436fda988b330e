package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ingest unit alone: no broker here, so Kafka's own MockProducer stands in for one. */
class IngestorTest {
  static final SourceDeclaration WEB =
      new SourceDeclaration("web-test", SourceKind.PUBLIC_WEB, "CC-BY-4.0", null, null, "web");
  static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

  @TempDir Path dir;
  MockProducer<String, byte[]> producer;
  Ingestor ingestor;

  @BeforeEach
  void setUp() {
    producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    ingestor =
        new Ingestor(
            new IngestConfig(
                Map.of(
                    IngestConfig.MAX_DOCUMENT_BYTES, 4096, IngestConfig.REJECTED_MAX_BYTES, 100)),
            producer,
            Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @Test
  void goodRecordsBecomeDocumentsWithProvenance() throws IOException {
    Path file =
        write(
            "good.jsonl",
            """
        {"id": "a", "text": "First document.", "url": "https://example.org/a", "created": "2020-03-29T09:04:10Z", "title": "A"}
        {"text": "No id and no url: the id comes from the content.", "metadata": {"url": "https://example.org/b"}}
        {"text": "Neither: content id."}
        """);

    IngestReport report = ingestor.ingest(file, WEB);

    assertThat(report.documents()).isEqualTo(3);
    assertThat(report.rejectedTotal()).isZero();
    List<Document> docs = documents();
    Document first = docs.get(0);
    assertThat(first.getId()).isEqualTo(dev.refinery.schemas.DocumentIds.of("web-test", "a"));
    assertThat(first.getSource().getName()).isEqualTo("web-test");
    assertThat(first.getSource().getLicence().getSpdxId()).isEqualTo("CC-BY-4.0");
    assertThat(first.getSource().getStream()).isEqualTo("web");
    assertThat(first.getUrl()).isEqualTo("https://example.org/a");
    assertThat(first.getFetchedAt()).isEqualTo(Instant.parse("2020-03-29T09:04:10Z"));
    assertThat(first.getIngestedAt()).isEqualTo(NOW);
    assertThat(first.getAttributes())
        .containsEntry("title", "A")
        .containsEntry("origin", "good.jsonl:1");
    assertThat(docs.get(1).getId())
        .isEqualTo(dev.refinery.schemas.DocumentIds.of("web-test", "https://example.org/b"));
    assertThat(docs.get(2).getId())
        .isEqualTo(dev.refinery.schemas.DocumentIds.forContent("web-test", "Neither: content id."));
    assertThat(producer.history())
        .extracting(ProducerRecord::key)
        .containsExactlyElementsOf(docs.stream().map(Document::getId).toList());
  }

  @Test
  void reingestingTheSameFileYieldsTheSameIds() throws IOException {
    Path file = write("same.jsonl", "{\"text\": \"one\"}\n{\"id\": 7, \"text\": \"two\"}\n");

    ingestor.ingest(file, WEB);
    ingestor.ingest(file, WEB);

    List<String> keys = producer.history().stream().map(ProducerRecord::key).toList();
    assertThat(keys.subList(0, 2)).isEqualTo(keys.subList(2, 4));
  }

  @Test
  void everyKindOfGarbageIsRejectedWithItsReasonAndTheRestGoesThrough() throws IOException {
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
    Path file = dir.resolve("garbage.jsonl");
    Files.write(file, bytes.toByteArray());

    IngestReport report = ingestor.ingest(file, WEB);

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
    assertThat(documents()).extracting(Document::getText).containsExactly("good one", "good two");
    List<RejectedDocument> rejections = rejections();
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
    assertThat(malformed.getReason()).isEqualTo("MALFORMED_JSON");
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
  void aCutGzipFileKeepsWhatCouldBeReadAndRecordsWhereItBroke() throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      for (int i = 0; i < 2000; i++) {
        out.write(
            ("{\"id\": " + i + ", \"text\": \"document number " + i + " with some words in it\"}\n")
                .getBytes(StandardCharsets.UTF_8));
      }
    }
    byte[] whole = gz.toByteArray();
    Path cut = dir.resolve("cut.jsonl.gz");
    Files.write(cut, Arrays.copyOf(whole, whole.length * 2 / 3));

    IngestReport report = ingestor.ingest(cut, WEB);

    assertThat(report.documents()).isBetween(1L, 1999L);
    assertThat(report.rejected())
        .containsOnlyKeys("TRUNCATED_INPUT")
        .containsEntry("TRUNCATED_INPUT", 1L);
    RejectedDocument truncated = rejections().get(0);
    assertThat(truncated.getLocation()).startsWith("cut.jsonl.gz@");
    assertThat(truncated.getDetail()).contains("input ends early");
  }

  @Test
  void aGzFileThatIsNotGzipIsOneRejectionNotACrash() throws IOException {
    Path fake = write("fake.jsonl.gz", "{\"text\": \"plain text pretending\"}\n");

    IngestReport report = ingestor.ingest(fake, WEB);

    assertThat(report.documents()).isZero();
    assertThat(report.rejected()).containsExactly(Map.entry("CORRUPT_INPUT", 1L));
    assertThat(StandardCharsets.UTF_8.decode(rejections().get(0).getOriginal()).toString())
        .startsWith("{\"text\"");
  }

  @Test
  void missingFileIsAnErrorNamingIt() {
    assertThatThrownBy(() -> ingestor.ingest(dir.resolve("nope.jsonl"), WEB))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("no such file")
        .hasMessageContaining("nope.jsonl");
    assertThatThrownBy(() -> ingestor.ingest(dir, WEB))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("not a regular file");
  }

  @Test
  void brokerAwayWhenSendingSaysWhatToDo() throws IOException {
    producer.sendException =
        new org.apache.kafka.common.errors.TimeoutException("metadata not available");
    Path file = write("one.jsonl", "{\"text\": \"x\"}\n");

    assertThatThrownBy(() -> ingestor.ingest(file, WEB))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("metadata not available")
        .hasMessageContaining("Ingesting the file again is safe");
  }

  @Test
  void recordsKafkaRefusesLaterFailTheFileToo() throws IOException {
    MockProducer<String, byte[]> refusing =
        new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer()) {
          @Override
          public synchronized void flush() {
            while (errorNext(
                new org.apache.kafka.common.errors.RecordTooLargeException(
                    "too large for the broker"))) {
              // every pending send fails
            }
          }
        };
    Ingestor refused = new Ingestor(new IngestConfig(Map.of()), refusing, Clock.systemUTC());
    Path file = write("two.jsonl", "{\"text\": \"x\"}\n{\"text\": \"y\"}\n");

    assertThatThrownBy(() -> refused.ingest(file, WEB))
        .isInstanceOf(IngestException.class)
        .hasMessageContaining("too large for the broker")
        .hasMessageContaining("two.jsonl");
  }

  private Path write(String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, content);
    return file;
  }

  private List<Document> documents() {
    return producer.history().stream()
        .filter(r -> r.topic().equals(Topics.CORPUS_RAW.name()))
        .map(r -> Topics.CORPUS_RAW.deserialize(r.value()))
        .toList();
  }

  private List<RejectedDocument> rejections() {
    return producer.history().stream()
        .filter(r -> r.topic().equals(Topics.CORPUS_REJECTED.name()))
        .map(r -> Topics.CORPUS_REJECTED.deserialize(r.value()))
        .toList();
  }
}
