package dev.refinery.runtime.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImageCheckTest {
  private final ImageCheck check = new ImageCheck(ImageLimits.DEFAULT);

  @Test
  void aValidImageComesBackWithItsAddressFormatSizeAndHash() throws IOException {
    byte[] png = SampleImages.encode(SampleImages.drawing(7, 320, 200), "png");
    ImageCheck.Outcome outcome = check.check(png);
    assertThat(outcome.valid()).as("%s", outcome.refusal()).isTrue();
    assertThat(outcome.image().sha256()).isEqualTo(ImageCheck.sha256(png)).hasSize(64);
    assertThat(outcome.image().mediaType()).isEqualTo("image/png");
    assertThat(outcome.image().width()).isEqualTo(320);
    assertThat(outcome.image().height()).isEqualTo(200);
    assertThat(outcome.image().bytes()).isSameAs(png);

    byte[] jpeg = SampleImages.encode(SampleImages.drawing(7, 320, 200), "jpg");
    ImageCheck.Outcome fromJpeg = check.check(jpeg);
    assertThat(fromJpeg.image().mediaType()).isEqualTo("image/jpeg");
    assertThat(PerceptualHash.distance(fromJpeg.image().phash(), outcome.image().phash()))
        .as("the same drawing as JPEG")
        .isLessThanOrEqualTo(4);
  }

  @Test
  void aPngBombIsRefusedFromItsHeaderWithoutDecoding() {
    // 50,000 x 50,000 pixels declared, a few hundred bytes on disk
    byte[] bomb = SampleImages.pngBomb(50_000, 50_000);
    ImageCheck.Outcome outcome = check.check(bomb);
    assertThat(outcome.valid()).isFalse();
    assertThat(outcome.refusal().reason()).isEqualTo(ImageReasons.IMAGE_DIMENSIONS);
    assertThat(outcome.refusal().detail()).contains("50000 × 50000");

    ImageCheck wide = new ImageCheck(new ImageLimits(1 << 20, 60_000, 60_000, 1_000_000));
    ImageCheck.Outcome pixels = wide.check(bomb);
    assertThat(pixels.refusal().reason()).isEqualTo(ImageReasons.IMAGE_PIXELS);
    assertThat(pixels.refusal().measured()).isEqualTo(2.5e9);
    assertThat(pixels.refusal().threshold()).isEqualTo(1e6);
  }

  @Test
  void garbageAndCutImagesAreRefusedWithTheirReason() throws IOException {
    assertThat(check.check(new byte[0]).refusal().reason()).isEqualTo(ImageReasons.IMAGE_EMPTY);
    byte[] noise = new byte[4096];
    new Random(1).nextBytes(noise);
    assertThat(check.check(noise).refusal().reason()).isEqualTo(ImageReasons.IMAGE_UNKNOWN_FORMAT);
    assertThat(check.check("<html>not an image</html>".getBytes(StandardCharsets.UTF_8)).valid())
        .isFalse();

    byte[] png = SampleImages.encode(SampleImages.drawing(3, 300, 300), "png");
    byte[] cutPng = Arrays.copyOf(png, png.length / 2);
    assertThat(check.check(cutPng).refusal().reason()).isEqualTo(ImageReasons.IMAGE_CORRUPT);

    byte[] jpeg = SampleImages.encode(SampleImages.drawing(3, 300, 300), "jpg");
    byte[] cutJpeg = Arrays.copyOf(jpeg, jpeg.length * 2 / 3);
    assertThat(check.check(cutJpeg).refusal().reason()).isEqualTo(ImageReasons.IMAGE_CORRUPT);

    // a PNG signature followed by noise, and a real header whose data is noise
    byte[] fakePng = Arrays.copyOf(png, 4096);
    for (int i = 40; i < fakePng.length; i++) {
      fakePng[i] = noise[i];
    }
    assertThat(check.check(fakePng).refusal().reason()).isEqualTo(ImageReasons.IMAGE_CORRUPT);
    for (int seed = 0; seed < 200; seed++) {
      byte[] flipped = jpeg.clone();
      Random random = new Random(seed);
      for (int i = 0; i < 20; i++) {
        flipped[random.nextInt(flipped.length)] = (byte) random.nextInt();
      }
      // never an exception: valid or refused with a reason
      ImageCheck.Outcome outcome = check.check(flipped);
      assertThat(outcome.valid() || outcome.refusal().reason() != null).isTrue();
    }
  }

  @Test
  void aFileOverTheByteLimitIsRefusedBeforeItIsRead() throws IOException {
    byte[] png = SampleImages.encode(SampleImages.drawing(5, 200, 200), "png");
    ImageCheck small = new ImageCheck(new ImageLimits(100, 100, 100, 10_000));
    ImageCheck.Outcome outcome = small.check(png);
    assertThat(outcome.refusal().reason()).isEqualTo(ImageReasons.IMAGE_TOO_LARGE);
    assertThat(outcome.refusal().measured()).isEqualTo((double) png.length);
  }

  @Test
  void differentDrawingsAreFarApartAndBandsFindNearOnes() throws IOException {
    long a =
        check.check(SampleImages.encode(SampleImages.drawing(1, 256, 256), "png")).image().phash();
    long b =
        check.check(SampleImages.encode(SampleImages.drawing(2, 256, 256), "png")).image().phash();
    assertThat(PerceptualHash.distance(a, b)).isGreaterThan(12);

    long near = a ^ 0b1000_0000_1000_0001L; // three bits apart
    long[] x = PerceptualHash.bands(a, 4);
    long[] y = PerceptualHash.bands(near, 4);
    int shared = 0;
    for (int i = 0; i < 4; i++) {
      shared += x[i] == y[i] ? 1 : 0;
    }
    assertThat(shared).as("3 bits apart share one of 4 bands at least").isGreaterThanOrEqualTo(1);
  }
}
