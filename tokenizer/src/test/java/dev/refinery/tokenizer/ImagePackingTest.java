package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.ImageRef;
import dev.refinery.schemas.Licence;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Images in token sequences: where they stand, how many positions, and never split. */
class ImagePackingTest {
  static final int EOT = 99;
  static final int BEGIN = 900;
  static final int END = 901;
  static final int PH = 902;
  static final ImageTokens FIXED = new ImageTokens(BEGIN, END, PH, 3, 32, 256);

  /** A document of {@code n} text ids with an image block of {@code len} at each given start. */
  static TokenizedDocument doc(String id, int n, int... startsAndLengths) {
    List<Integer> ids = new ArrayList<>();
    List<TokenizedImage> images = new ArrayList<>();
    int text = 0;
    int image = 0;
    int next = 0;
    while (text < n || next < startsAndLengths.length) {
      if (next < startsAndLengths.length && ids.size() == startsAndLengths[next]) {
        int length = startsAndLengths[next + 1];
        images.add(
            new TokenizedImage("sha" + image, image++, ids.size(), length, "image/png", 64, 64));
        ids.add(BEGIN);
        for (int i = 0; i < length - 2; i++) {
          ids.add(PH);
        }
        ids.add(END);
        next += 2;
      } else {
        ids.add(1000 + text++);
      }
    }
    TokenizedDocument d =
        new TokenizedDocument(
            id, "web", new SpanSource(), ids.stream().mapToInt(Integer::intValue).toArray());
    d.images = images.toArray(new TokenizedImage[0]);
    return d;
  }

  @Test
  void anImageThatDoesNotFitARowStartsTheNextConcat() {
    Packer packer = new ConcatPacker(8, false, 4, EOT);
    // 6 text ids, then an image of 5 at position 6: 2 positions left in row 0
    List<PackedBatch> out = new ArrayList<>(packer.add(doc("a", 10, 6, 5)));
    out.addAll(packer.flush());
    PackedBatch batch = out.get(0);
    int[] t = batch.tokens();
    assertThat(IntStream.range(0, 8).map(i -> t[i]).toArray())
        .containsExactly(1000, 1001, 1002, 1003, 1004, 1005, EOT, EOT);
    assertThat(batch.rowPadding()[0]).isEqualTo(2);
    assertThat(batch.images())
        .singleElement()
        .satisfies(
            image -> {
              assertThat(image.sequence()).isEqualTo(1);
              assertThat(image.offset()).isZero();
              assertThat(image.length()).isEqualTo(5);
              assertThat(image.sha256()).isEqualTo("sha0");
            });
    assertThat(IntStream.range(8, 13).map(i -> t[i]).toArray())
        .containsExactly(BEGIN, PH, PH, PH, END);
    // the document's spans cover its tokens once, in order, across the padded cut
    assertThat(batch.spans()).extracting(s -> s.length).containsExactly(6, 8, 1);
  }

  @Test
  void noImageIsEverSplitWhateverThePackingAndTheSizes() {
    Random random = new Random(7);
    for (String packing : List.of("concat", "best_fit")) {
      for (boolean label : List.of(false, true)) {
        Packer packer = Packer.create(packing, 12, label, 3, EOT, 4);
        List<PackedBatch> out = new ArrayList<>();
        int images = 0;
        for (int d = 0; d < 60; d++) {
          int n = 1 + random.nextInt(30);
          List<Integer> blocks = new ArrayList<>();
          int at = random.nextInt(5);
          while (at < n && random.nextInt(3) > 0) {
            int length = 3 + random.nextInt(9); // up to 11 + ... at most seqLen
            blocks.add(at);
            blocks.add(length);
            images++;
            at += length + random.nextInt(6);
          }
          out.addAll(
              packer.add(doc("d" + d, n, blocks.stream().mapToInt(Integer::intValue).toArray())));
        }
        out.addAll(packer.flush());
        int found = 0;
        for (PackedBatch b : out) {
          int width = b.tokens().length / b.numSequences();
          for (PackedImage image : b.images()) {
            found++;
            assertThat(image.offset() + image.length()).isLessThanOrEqualTo(12);
            int base = image.sequence() * width + image.offset();
            assertThat(b.tokens()[base]).isEqualTo(BEGIN);
            assertThat(b.tokens()[base + image.length() - 1]).isEqualTo(END);
          }
        }
        assertThat(found).as(packing + " label=" + label).isEqualTo(images);
      }
    }
  }

  @Test
  void packerStateCarriesItsImagesThroughACheckpoint() throws Exception {
    Packer packer = new ConcatPacker(8, false, 4, EOT);
    packer.add(doc("a", 3, 3, 4));
    Packer restored = ConcatPackerTest.roundTrip(packer);
    List<PackedBatch> out = restored.flush();
    assertThat(out.get(0).images())
        .extracting(PackedImage::offset, PackedImage::length)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(3, 4));
  }

  @Test
  void tokenizeFunctionPlacesEachImageWhereItStandsInTheText() {
    ImageTokens tokens = new ImageTokens(100270, 100271, 100272, 0, 32, 256);
    TokenizeFunction f =
        new TokenizeFunction(
            new TokenizerConfig(Map.of()).tokenizerSpec(),
            null,
            tokens,
            64,
            List.of("web"),
            100,
            1);
    f.open(null);
    try {
      String text = "Before the photo.\n\nAfter it.";
      Document doc =
          Document.newBuilder()
              .setId("doc-1")
              .setSource(
                  Source.newBuilder()
                      .setName("s")
                      .setKind(SourceKind.PUBLIC_WEB)
                      .setLicence(Licence.newBuilder().setSpdxId("CC0-1.0").build())
                      .setStream("web")
                      .build())
              .setIngestedAt(Instant.EPOCH)
              .setText(text)
              .setImages(
                  List.of(
                      image(0, 0, 64, 64), // 2 x 2 patches: 4 placeholders
                      image(1, "Before the photo.".length(), 10_000, 10_000)))
              .build();
      RawRecord record = new RawRecord();
      record.topic = Topics.CORPUS_CLEAN.name();
      record.value = Topics.CORPUS_CLEAN.serialize(doc);
      TokenizedDocument out = f.tokenize(record, 0);
      Tokenizer tokenizer = Tokenizer.of(new TokenizerConfig(Map.of()).tokenizerSpec());
      int[] before = tokenizer.encode("Before the photo.");
      int[] after = tokenizer.encode("\n\nAfter it.");
      assertThat(out.images).hasSize(2);
      assertThat(out.images[0].start).isZero();
      assertThat(out.images[0].length).isEqualTo(6);
      assertThat(out.images[1].start).isEqualTo(6 + before.length);
      assertThat(out.images[1].length).as("capped by the sequence").isEqualTo(64);
      assertThat(out.tokens).hasSize(6 + before.length + 64 + after.length);
      assertThat(out.tokens[0]).isEqualTo(100270);
      assertThat(out.tokens[5]).isEqualTo(100271);
      assertThat(out.tokens[6]).isEqualTo(before[0]);
      assertThat(out.tokens[out.tokens.length - 1]).isEqualTo(after[after.length - 1]);
    } finally {
      f.close();
    }
  }

  static ImageRef image(int index, int offset, int w, int h) {
    return ImageRef.newBuilder()
        .setSha256("s" + index)
        .setMediaType("image/png")
        .setWidth(w)
        .setHeight(h)
        .setSize(10)
        .setPhash(0)
        .setOffset(offset)
        .setIndex(index)
        .build();
  }
}
