package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.runtime.images.ImageCheck;
import dev.refinery.runtime.images.ImageReasons;
import dev.refinery.runtime.images.SampleImages;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netpreserve.jwarc.WarcCompression;

/** A crawl that kept a page's images: each page gets those of its images the same WARC holds. */
class WarcImagesTest {
  static final byte[] PNG = SampleImages.encode(SampleImages.drawing(21, 200, 160), "png");
  static final byte[] JPEG = SampleImages.encode(SampleImages.drawing(22, 200, 160), "jpg");

  @TempDir Path dir;

  static byte[] response(String url, String type, byte[] body, WarcCompression compression)
      throws IOException {
    return WarcDocumentReaderTest.response(url, 200, type, body, compression);
  }

  Path crawl(WarcCompression compression, String name) throws IOException {
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    String page =
        WarcDocumentReaderTest.html(
            "<article><p>Intro to the harbour.</p><p><img src=\"/img/a.png\" alt=\"the harbour at dawn\"></p>"
                + "<p>After the first picture, see <img src=\"https://cdn.example/b.jpg\"> and"
                + " <img src=\"/not-captured.png\"> below.</p></article>");
    file.writeBytes(
        response(
            "https://site.example/harbour",
            "text/html; charset=utf-8",
            page.getBytes(StandardCharsets.UTF_8),
            compression));
    file.writeBytes(
        response(
            "https://site.example/plain",
            "text/html",
            WarcDocumentReaderTest.html("<p>A page of text alone.</p>")
                .getBytes(StandardCharsets.UTF_8),
            compression));
    // the images come after the page that shows them, as crawlers write page requisites
    file.writeBytes(response("https://site.example/img/a.png", "image/png", PNG, compression));
    file.writeBytes(
        response(
            "https://cdn.example/b.jpg",
            "image/jpeg",
            Arrays.copyOf(JPEG, JPEG.length / 2),
            compression));
    return Files.write(dir.resolve(name), file.toByteArray());
  }

  @Test
  void aPageGetsTheImagesItsWarcHoldsWhereTheyStand() throws IOException {
    for (WarcCompression compression : List.of(WarcCompression.GZIP, WarcCompression.NONE)) {
      Path file =
          crawl(
              compression,
              "crawl-"
                  + compression
                  + ".warc"
                  + (compression == WarcCompression.GZIP ? ".gz" : ""));
      List<Parsed> out = WarcDocumentReaderTest.read(file);
      Parsed.Accepted harbour = (Parsed.Accepted) out.get(0);
      Document doc = harbour.document();
      assertThat(doc.getText())
          .as("the same text as without images")
          .isEqualTo("Intro to the harbour.\nAfter the first picture, see and below.");
      assertThat(doc.getImages())
          .singleElement()
          .satisfies(
              ref -> {
                assertThat(ref.getSha256()).isEqualTo(ImageCheck.sha256(PNG));
                assertThat(ref.getOffset()).isEqualTo("Intro to the harbour.".length());
                assertThat(ref.getCaption()).isEqualTo("the harbour at dawn");
                assertThat(ref.getUrl()).isEqualTo("https://site.example/img/a.png");
                assertThat(ref.getIndex()).isZero();
              });
      assertThat(harbour.images())
          .singleElement()
          .satisfies(i -> assertThat(i.getSha256()).isEqualTo(ImageCheck.sha256(PNG)));
      RejectedDocument cut = harbour.refusedImages().get(0);
      assertThat(cut.getReason()).isEqualTo(ImageReasons.IMAGE_CORRUPT);
      assertThat(cut.getImageIndex()).isEqualTo(1);
      assertThat(cut.getDocId()).isEqualTo(doc.getId());
      assertThat(((Parsed.Accepted) out.get(1)).document().getImages()).isEmpty();
      // the image responses themselves hold no document
      assertThat(out.subList(2, 4))
          .allSatisfy(p -> assertThat(p).isInstanceOf(Parsed.Skipped.class));

      // without it, the same document as text alone, the same id
      List<Parsed> textOnly =
          WarcDocumentReaderTest.read(
              file,
              new IngestConfig(
                  Map.of(
                      IngestConfig.MAX_DOCUMENT_BYTES,
                      64 * 1024,
                      IngestConfig.WARC_IMAGES,
                      false)));
      Document plain = ((Parsed.Accepted) textOnly.get(0)).document();
      assertThat(plain.getId()).isEqualTo(doc.getId());
      assertThat(plain.getText()).isEqualTo(doc.getText());
      assertThat(plain.getImages()).isEmpty();
    }
  }
}
