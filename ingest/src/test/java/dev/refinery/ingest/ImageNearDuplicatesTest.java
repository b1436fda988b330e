package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.SharedData;
import dev.refinery.runtime.images.ImageCheck;
import dev.refinery.runtime.images.ImageLimits;
import dev.refinery.runtime.images.PerceptualHash;
import dev.refinery.runtime.images.SampleImages;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Near-duplicate images on real photos (scikit-image's samples): each one re-encoded as JPEG,
 * resized to half, and cropped by 4% and by 10%, plus the stereo pair of a motorcycle (two views a
 * few centimetres apart: a natural near-duplicate). Precision and recall of the perceptual hash at
 * dedup-filter's default distance (8 bits), found as dedup-filter finds them (a shared band of 8,
 * then the distance), printed, and held to a floor.
 */
class ImageNearDuplicatesTest {
  static final int DISTANCE = 8;
  static final int BANDS = 8;

  record Variant(String image, String how, long phash) {}

  @Test
  void precisionAndRecallOnRealPhotosAndTheirCopies() throws IOException {
    Path folder = SharedData.file("images/camera.png").getParent();
    ImageCheck check = new ImageCheck(ImageLimits.DEFAULT);
    List<Variant> all = new ArrayList<>();
    List<String> names;
    try (Stream<Path> files = Files.list(folder)) {
      names =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".png") || n.endsWith(".jpg"))
              .filter(n -> !n.startsWith("truncated"))
              .sorted()
              .toList();
    }
    for (String name : names) {
      byte[] bytes = Files.readAllBytes(folder.resolve(name));
      BufferedImage image = ImageIO.read(folder.resolve(name).toFile());
      BufferedImage rgb = SampleImages.resized(image, image.getWidth(), image.getHeight());
      all.add(new Variant(name, "original", hash(check, bytes)));
      all.add(new Variant(name, "jpeg", hash(check, SampleImages.encode(rgb, "jpg"))));
      all.add(
          new Variant(
              name,
              "half size",
              hash(
                  check,
                  SampleImages.encode(
                      SampleImages.resized(rgb, rgb.getWidth() / 2, rgb.getHeight() / 2), "png"))));
      all.add(
          new Variant(
              name,
              "crop 4%",
              hash(check, SampleImages.encode(SampleImages.cropped(rgb, 0.04), "png"))));
      all.add(
          new Variant(
              name,
              "crop 10%",
              hash(check, SampleImages.encode(SampleImages.cropped(rgb, 0.10), "png"))));
    }
    // positives: an original with each of its copies, and the stereo pair; negatives: the rest
    int[] truePositives = new int[5];
    int[] positives = new int[5];
    int falsePositives = 0;
    int negatives = 0;
    List<String> hows = List.of("jpeg", "half size", "crop 4%", "crop 10%", "stereo pair");
    for (int i = 0; i < all.size(); i++) {
      for (int j = i + 1; j < all.size(); j++) {
        Variant a = all.get(i);
        Variant b = all.get(j);
        boolean found = found(a.phash(), b.phash());
        String kind = null;
        if (a.image().equals(b.image()) && a.how().equals("original")) {
          kind = b.how();
        } else if (a.image().startsWith("motorcycle")
            && b.image().startsWith("motorcycle")
            && !a.image().equals(b.image())
            && a.how().equals("original")
            && b.how().equals("original")) {
          kind = "stereo pair";
        } else if (a.image().equals(b.image()) || bothMotorcycles(a, b)) {
          continue; // two copies of one image: neither a positive nor a negative here
        }
        if (kind == null) {
          negatives++;
          falsePositives += found ? 1 : 0;
        } else {
          positives[hows.indexOf(kind)]++;
          truePositives[hows.indexOf(kind)] += found ? 1 : 0;
        }
      }
    }
    int tp = 0;
    int p = 0;
    StringBuilder table = new StringBuilder("near-duplicate images, distance <= 8, 8 bands:\n");
    for (int k = 0; k < hows.size(); k++) {
      table.append(
          String.format("  %-12s recall %d/%d%n", hows.get(k), truePositives[k], positives[k]));
      if (k != 3) {
        tp += truePositives[k];
        p += positives[k];
      }
    }
    double precision = tp / (double) (tp + falsePositives);
    double recall = tp / (double) p;
    table.append(
        String.format(
            "  without crop 10%%: precision %.3f, recall %.3f (%d false of %d negative pairs)%n",
            precision, recall, falsePositives, negatives));
    System.out.print(table);
    assertThat(precision).as(table.toString()).isGreaterThanOrEqualTo(0.99);
    assertThat(recall).as(table.toString()).isGreaterThanOrEqualTo(0.95);
  }

  private static boolean bothMotorcycles(Variant a, Variant b) {
    return a.image().startsWith("motorcycle") && b.image().startsWith("motorcycle");
  }

  /** As dedup-filter finds a pair: a band in common, then the whole distance. */
  private static boolean found(long a, long b) {
    long[] x = PerceptualHash.bands(a, BANDS);
    long[] y = PerceptualHash.bands(b, BANDS);
    boolean shared = false;
    for (int i = 0; i < BANDS; i++) {
      shared |= x[i] == y[i];
    }
    return shared && PerceptualHash.distance(a, b) <= DISTANCE;
  }

  private static long hash(ImageCheck check, byte[] bytes) {
    ImageCheck.Outcome outcome = check.check(bytes);
    assertThat(outcome.valid()).as("%s", outcome.refusal()).isTrue();
    return outcome.image().phash();
  }
}
