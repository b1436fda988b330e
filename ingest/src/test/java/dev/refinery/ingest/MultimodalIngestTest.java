package dev.refinery.ingest;

import static dev.refinery.ingest.Fixtures.WEB;
import static dev.refinery.ingest.Fixtures.documents;
import static dev.refinery.ingest.Fixtures.images;
import static dev.refinery.ingest.Fixtures.rejections;
import static dev.refinery.ingest.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.SharedData;
import dev.refinery.runtime.images.ImageCheck;
import dev.refinery.runtime.images.ImageReasons;
import dev.refinery.runtime.images.SampleImages;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.Image;
import dev.refinery.schemas.ImageRef;
import dev.refinery.schemas.RejectedDocument;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images with their text, in the shapes they are published in: WebDataset shards, OBELICS, MMC4,
 * interleaved content and image-caption pairs; and broken images, bombs and garbage.
 */
class MultimodalIngestTest {
  static final byte[] CAT = SampleImages.encode(SampleImages.drawing(1, 120, 80), "jpg");
  static final byte[] DOG = SampleImages.encode(SampleImages.drawing(2, 90, 90), "png");

  @TempDir Path dir;
  MockProducer<String, byte[]> producer =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());

  IngestReport ingest(Path file) {
    return new Ingestor(
            new IngestConfig(Map.of()),
            producer,
            ProgressStore.empty(),
            IngestMetrics.inMemory(),
            Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC))
        .ingest(file, WEB);
  }

  @Test
  void aWebDatasetShardBecomesOneDocumentASample() throws IOException {
    byte[] cut = Arrays.copyOf(CAT, CAT.length / 2);
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("part/000.jpg", CAT);
    files.put("part/000.txt", utf8("a drawing of a cat"));
    files.put("part/000.json", utf8("{\"url\": \"https://img.example/cat.jpg\", \"width\": 120}"));
    files.put("part/001.png", DOG);
    files.put("part/001.json", utf8("{\"caption\": \"a dog, square\", \"key\": \"001\"}"));
    files.put("part/002.jpg", cut);
    files.put("part/002.txt", utf8("the image of this one is cut short"));
    files.put("part/003.png", SampleImages.pngBomb(50_000, 50_000));
    files.put("part/004.json", utf8("{not json"));
    files.put("part/005.txt", utf8("text alone"));
    files.put("part/006.jpg", CAT); // the same bytes again: stored once
    // two values where one is: refused whole, not read as its first
    files.put("part/007.json", utf8("{\"caption\": \"one\"} {\"caption\": \"two\"}"));
    Path shard = write(dir, "shard-000.tar", tar(files));

    IngestReport report = ingest(shard);

    List<Document> docs = documents(producer);
    assertThat(docs)
        .extracting(Document::getText)
        .containsExactly(
            "a drawing of a cat",
            "a dog, square",
            "the image of this one is cut short",
            "text alone",
            "");
    Document cat = docs.get(0);
    assertThat(cat.getUrl()).isEqualTo("https://img.example/cat.jpg");
    assertThat(cat.getNativeId()).isEqualTo("https://img.example/cat.jpg");
    assertThat(cat.getAttributes()).containsEntry("width", "120");
    ImageRef ref = cat.getImages().get(0);
    assertThat(ref.getSha256()).isEqualTo(ImageCheck.sha256(CAT));
    assertThat(ref.getMediaType()).isEqualTo("image/jpeg");
    assertThat(ref.getWidth()).isEqualTo(120);
    assertThat(ref.getHeight()).isEqualTo(80);
    assertThat(ref.getSize()).isEqualTo(CAT.length);
    assertThat(ref.getOffset()).as("before its caption").isZero();
    assertThat(docs.get(1).getImages().get(0).getMediaType()).isEqualTo("image/png");
    assertThat(docs.get(1).getNativeId()).isEqualTo("shard-000.tar#part/001");
    assertThat(docs.get(2).getImages()).as("its image was refused").isEmpty();
    assertThat(docs.get(3).getImages()).isEmpty();
    assertThat(docs.get(4).getImages())
        .extracting(ImageRef::getSha256)
        .containsExactly(ImageCheck.sha256(CAT));

    List<Image> stored = images(producer);
    assertThat(stored)
        .extracting(Image::getSha256)
        .containsExactly(ImageCheck.sha256(CAT), ImageCheck.sha256(DOG));
    assertThat(bytes(stored.get(0))).isEqualTo(CAT);

    List<RejectedDocument> rejected = rejections(producer);
    assertThat(rejected)
        .extracting(RejectedDocument::getReason)
        .containsExactlyInAnyOrder(
            ImageReasons.IMAGE_CORRUPT,
            RejectReason.BAD_MULTIMODAL.name(),
            RejectReason.MALFORMED_JSON.name(),
            RejectReason.MALFORMED_JSON.name());
    RejectedDocument cutImage =
        rejected.stream().filter(r -> r.getImageIndex() != null).findFirst().orElseThrow();
    assertThat(cutImage.getDocId()).isEqualTo(docs.get(2).getId());
    assertThat(cutImage.getImageIndex()).isZero();
    assertThat(cutImage.getImageSha256()).isEqualTo(ImageCheck.sha256(cut));
    assertThat(cutImage.getDetail()).contains("part/002.jpg");
    RejectedDocument bomb =
        rejected.stream()
            .filter(r -> r.getReason().equals(RejectReason.BAD_MULTIMODAL.name()))
            .findFirst()
            .orElseThrow();
    assertThat(bomb.getDetail()).contains(ImageReasons.IMAGE_DIMENSIONS).contains("50000 × 50000");

    assertThat(report.documents()).isEqualTo(5);
    assertThat(report.images()).isEqualTo(3);
    assertThat(report.imagesRejected()).containsEntry(ImageReasons.IMAGE_CORRUPT, 1L);
    assertThat(report.rejected())
        .containsEntry("BAD_MULTIMODAL", 1L)
        .containsEntry("MALFORMED_JSON", 2L);
  }

  @Test
  void anInterruptedShardResumesAfterItsCommittedSamplesWithTheirImages() throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    List<byte[]> drawn = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      byte[] image = SampleImages.encode(SampleImages.drawing(40 + i, 160, 120), "png");
      drawn.add(image);
      files.put(String.format("%03d.png", i), image);
      files.put(String.format("%03d.txt", i), utf8("sample " + i));
    }
    Path shard = write(dir, "shard-7.tar", tar(files));
    // what a run that was killed committed: its first 2 samples, from the bytes they came from
    ProgressStore store = ProgressStore.empty();
    FileHash.Prefix head = FileHash.prefix(shard, 4096);
    store.committed(
        ProgressStore.key(WEB.name(), "shard-7.tar"),
        IngestorTest.interrupted("shard-7.tar", 2)
            .setHashedBytes(head.bytes())
            .setHashedSha256(head.sha256())
            .build());
    IngestReport report =
        new Ingestor(
                new IngestConfig(Map.of()),
                producer,
                store,
                IngestMetrics.inMemory(),
                Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC))
            .ingest(shard, WEB);
    assertThat(report.outcome()).isEqualTo(IngestReport.Outcome.RESUMED);
    assertThat(documents(producer))
        .extracting(Document::getText)
        .containsExactly("sample 2", "sample 3", "sample 4");
    assertThat(images(producer))
        .extracting(Image::getSha256)
        .containsExactly(
            ImageCheck.sha256(drawn.get(2)),
            ImageCheck.sha256(drawn.get(3)),
            ImageCheck.sha256(drawn.get(4)));
  }

  @Test
  void interleavedDocumentsInEachPublishedShape() throws IOException {
    Files.createDirectories(dir.resolve("img"));
    Files.write(dir.resolve("img/cat.jpg"), CAT);
    Files.write(dir.resolve("img/dog.png"), DOG);
    Files.write(dir.getParent().resolve("secret.png"), DOG);
    String dogBase64 = Base64.getEncoder().encodeToString(DOG);
    String jsonl =
        String.join(
            "\n",
            // OBELICS: two parallel lists
            "{\"id\": \"obelics-1\", \"texts\": [\"Intro.\", null, \"Between.\", null],"
                + " \"images\": [null, \"img/cat.jpg\", null, \"data:image/png;base64,"
                + dogBase64
                + "\"]}",
            // MMC4: images matched to the text they follow
            "{\"id\": \"mmc4-1\", \"text_list\": [\"First.\", \"Second.\"], \"image_info\":"
                + " [{\"image_name\": \"img/dog.png\", \"matched_text_index\": 0, \"raw_url\":"
                + " \"https://x.example/dog.png\"}]}",
            // interleaved content
            "{\"id\": \"content-1\", \"content\": [{\"type\": \"image\", \"path\": \"img/cat.jpg\","
                + " \"alt\": \"a cat\"}, {\"type\": \"text\", \"text\": \"After the cat.\"}]}",
            // an image-caption pair, LAION style, with the image inline
            "{\"image\": \"" + dogBase64 + "\", \"caption\": \"a dog\", \"url\": \"https://x/d\"}",
            // images that cannot be had: outside the folder, remote, bad base64; the text stays
            "{\"id\": \"bad-images\", \"texts\": [\"Kept.\", null, null, null], \"images\": [null,"
                + " \"../secret.png\", \"https://x.example/remote.jpg\", {\"bytes\": \"@@@\"}]}",
            // shapes that do not fit
            "{\"texts\": [\"a\"], \"images\": [null, null]}",
            "{\"texts\": [\"a\", \"b\"], \"images\": [null, \"img/cat.jpg\"]}",
            "{\"text_list\": [\"a\"], \"image_info\": [{\"image_name\": \"img/cat.jpg\","
                + " \"matched_text_index\": 4}]}",
            "{\"content\": [{\"type\": \"video\", \"path\": \"x.mp4\"}]}",
            "{\"image\": 42}");
    IngestReport report = ingest(write(dir, "docs.jsonl", utf8(jsonl)));

    List<Document> docs = documents(producer);
    assertThat(docs).hasSize(5);
    Document obelics = docs.get(0);
    assertThat(obelics.getText()).isEqualTo("Intro.\n\nBetween.");
    assertThat(obelics.getImages())
        .extracting(ImageRef::getOffset, ImageRef::getIndex, ImageRef::getSha256)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(6, 0, ImageCheck.sha256(CAT)),
            org.assertj.core.groups.Tuple.tuple(16, 1, ImageCheck.sha256(DOG)));
    Document mmc4 = docs.get(1);
    assertThat(mmc4.getText()).isEqualTo("First.\n\nSecond.");
    assertThat(mmc4.getImages().get(0).getOffset()).isEqualTo("First.".length());
    assertThat(mmc4.getImages().get(0).getUrl()).isEqualTo("https://x.example/dog.png");
    Document content = docs.get(2);
    assertThat(content.getImages().get(0).getOffset()).isZero();
    assertThat(content.getImages().get(0).getCaption()).isEqualTo("a cat");
    Document pair = docs.get(3);
    assertThat(pair.getText()).isEqualTo("a dog");
    assertThat(pair.getImages())
        .extracting(ImageRef::getSha256)
        .containsExactly(ImageCheck.sha256(DOG));
    Document bad = docs.get(4);
    assertThat(bad.getText()).isEqualTo("Kept.");
    assertThat(bad.getImages()).isEmpty();

    assertThat(images(producer))
        .extracting(Image::getSha256)
        .as("each image once, in the order first seen")
        .containsExactly(ImageCheck.sha256(CAT), ImageCheck.sha256(DOG));

    List<RejectedDocument> rejected = rejections(producer);
    List<RejectedDocument> imageRefusals =
        rejected.stream().filter(r -> r.getImageIndex() != null).toList();
    assertThat(imageRefusals)
        .extracting(RejectedDocument::getImageIndex, RejectedDocument::getReason)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(0, ImageReasons.IMAGE_UNREADABLE),
            org.assertj.core.groups.Tuple.tuple(1, ImageReasons.IMAGE_UNREADABLE),
            org.assertj.core.groups.Tuple.tuple(2, ImageReasons.IMAGE_UNREADABLE));
    assertThat(imageRefusals.get(0).getDetail()).contains("leaves the folder");
    assertThat(imageRefusals.get(1).getDetail()).contains("not fetched");
    assertThat(imageRefusals.get(2).getDetail()).contains("not base64");
    assertThat(imageRefusals).allSatisfy(r -> assertThat(r.getDocId()).isEqualTo(bad.getId()));
    assertThat(report.rejected()).containsEntry("BAD_MULTIMODAL", 5L);
    assertThat(report.imagesRejected()).containsEntry(ImageReasons.IMAGE_UNREADABLE, 3L);
  }

  @Test
  void aPushedRecordCannotReadFiles() {
    Rejector rejector = new Rejector(WEB, new IngestConfig(Map.of()), Clock.systemUTC());
    Parsed parsed =
        new JsonlFormat(new IngestConfig(Map.of()))
            .parse(
                utf8("{\"texts\": [\"t\", null], \"images\": [null, \"/etc/hostname\"]}"),
                60,
                "push:1",
                rejector);
    Parsed.Accepted accepted = (Parsed.Accepted) parsed;
    assertThat(accepted.document().getImages()).isEmpty();
    assertThat(accepted.refusedImages().get(0).getDetail()).contains("send the image inline");
  }

  @Test
  void aDocumentHoldsSoManyImagesAndNoMore() throws IOException {
    String tiny = Base64.getEncoder().encodeToString(DOG);
    StringBuilder content = new StringBuilder("{\"id\": \"gallery\", \"content\": [");
    content.append("{\"type\": \"text\", \"text\": \"A gallery.\"}");
    for (int i = 0; i < Multimodal.MAX_IMAGES + 2; i++) {
      content.append(", {\"type\": \"image\", \"base64\": \"").append(tiny).append("\"}");
    }
    content.append("]}");
    IngestReport report =
        new Ingestor(
                new IngestConfig(Map.of(IngestConfig.MAX_DOCUMENT_BYTES, 7 * 1024 * 1024)),
                producer,
                ProgressStore.empty(),
                IngestMetrics.inMemory(),
                Clock.systemUTC())
            .ingest(write(dir, "gallery.jsonl", utf8(content.toString())), WEB);
    assertThat(documents(producer).get(0).getImages()).hasSize(Multimodal.MAX_IMAGES);
    assertThat(images(producer)).hasSize(1);
    assertThat(report.imagesRejected()).containsEntry(ImageReasons.IMAGE_TOO_MANY, 2L);
  }

  @Test
  void imagePairsInParquetAsHuggingFaceWritesThem() throws Exception {
    Path file = dir.resolve("pairs.parquet");
    String cat = Base64.getEncoder().encodeToString(CAT);
    String dog = Base64.getEncoder().encodeToString(DOG);
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:duckdb:");
        java.sql.Statement st = c.createStatement()) {
      // the datasets library's Image feature: a struct of the bytes and the file's path
      st.execute(
          "COPY (SELECT 'https://x.example/cat.jpg' AS url, 'a drawn cat' AS caption,"
              + " {'bytes': from_base64('"
              + cat
              + "'), 'path': 'cat.jpg'} AS image"
              + " UNION ALL SELECT 'https://x.example/dog.png', 'a drawn dog',"
              + " {'bytes': from_base64('"
              + dog
              + "'), 'path': 'dog.png'}"
              + " UNION ALL SELECT 'https://x.example/none.png', 'no bytes',"
              + " {'bytes': from_base64('bm90IGFuIGltYWdl'), 'path': 'none.png'})"
              + " TO '"
              + file
              + "' (FORMAT parquet)");
    }
    IngestReport report = ingest(file);
    assertThat(documents(producer))
        .extracting(d -> d.getImages().isEmpty() ? null : d.getImages().get(0).getSha256())
        .containsExactly(ImageCheck.sha256(CAT), ImageCheck.sha256(DOG), null);
    assertThat(documents(producer))
        .extracting(Document::getText)
        .containsExactly("a drawn cat", "a drawn dog", "no bytes");
    assertThat(report.imagesRejected()).containsEntry(ImageReasons.IMAGE_UNKNOWN_FORMAT, 1L);
  }

  @Test
  void garbageForAShardIsRecordedNotThrown() throws IOException {
    byte[] noise = new byte[20_000];
    new Random(3).nextBytes(noise);
    IngestReport report = ingest(write(dir, "noise.tar", noise));
    assertThat(documents(producer)).isEmpty();
    assertThat(report.rejectedTotal()).isEqualTo(1);
    assertThat(rejections(producer).get(0).getReason())
        .isIn(RejectReason.TRUNCATED_INPUT.name(), RejectReason.CORRUPT_INPUT.name());
  }

  @Test
  void realPhotosPassAndTheTruncatedOneIsRefused() throws IOException {
    Path rocket = SharedData.file("images/rocket.jpg");
    Path truncated = SharedData.file("images/truncated.jpg");
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("a.jpg", Files.readAllBytes(rocket));
    files.put("a.txt", utf8("a launch"));
    files.put("b.jpg", Files.readAllBytes(truncated));
    files.put("b.txt", utf8("a broken file"));
    ingest(write(dir, "real.tar", tar(files)));
    List<Document> docs = documents(producer);
    assertThat(docs.get(0).getImages().get(0).getWidth()).isEqualTo(640);
    assertThat(docs.get(1).getImages()).isEmpty();
    assertThat(rejections(producer).get(0).getReason()).isEqualTo(ImageReasons.IMAGE_CORRUPT);
  }

  static byte[] tar(Map<String, byte[]> files) {
    return WebDatasetShard.of(files);
  }

  static byte[] bytes(Image image) {
    ByteBuffer data = image.getData().duplicate();
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    return bytes;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
