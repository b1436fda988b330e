package dev.refinery.dedup;

import dev.refinery.dedup.rules.Rejection;
import dev.refinery.schemas.ImageRef;

/**
 * The rules an image is held to on its own, at the thresholds OBELICS published (images under 150
 * pixels a side, or with an aspect ratio over 3, are mostly logos, icons, buttons and banners).
 */
final class ImageRules {
  static final String NAME = "image_quality";

  private ImageRules() {}

  /** Why the image is refused, or {@code null}. */
  static Rejection check(ImageRef image, DedupFilterConfig config) {
    int shorter = Math.min(image.getWidth(), image.getHeight());
    int longer = Math.max(image.getWidth(), image.getHeight());
    String size = image.getWidth() + " × " + image.getHeight();
    if (shorter < config.imageMinSide()) {
      return new Rejection(
          NAME,
          RejectReason.IMAGE_TOO_SMALL.name(),
          "image "
              + image.getIndex()
              + " is "
              + size
              + " pixels: a side under "
              + config.imageMinSide()
              + " ("
              + DedupFilterConfig.IMAGE_MIN_SIDE
              + ")",
          (double) shorter,
          (double) config.imageMinSide());
    }
    double ratio = (double) longer / shorter;
    if (ratio > config.imageMaxAspectRatio()) {
      return new Rejection(
          NAME,
          RejectReason.IMAGE_ASPECT_RATIO.name(),
          "image "
              + image.getIndex()
              + " is "
              + size
              + " pixels: an aspect ratio of "
              + String.format(java.util.Locale.ROOT, "%.2f", ratio)
              + ", over "
              + config.imageMaxAspectRatio()
              + " ("
              + DedupFilterConfig.IMAGE_MAX_ASPECT_RATIO
              + ")",
          ratio,
          config.imageMaxAspectRatio());
    }
    return null;
  }
}
