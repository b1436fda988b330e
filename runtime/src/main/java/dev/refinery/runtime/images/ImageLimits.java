package dev.refinery.runtime.images;

/**
 * Bounds on an image, checked before it is decoded.
 *
 * @param maxBytes its encoded size
 * @param maxWidth its declared width
 * @param maxHeight its declared height
 * @param maxPixels width × height; the default is Pillow's decompression-bomb limit ({@code
 *     Image.MAX_IMAGE_PIXELS}, 89,478,485)
 */
public record ImageLimits(long maxBytes, int maxWidth, int maxHeight, long maxPixels) {
  /** Pillow's {@code MAX_IMAGE_PIXELS}: above it, Pillow warns of a decompression bomb. */
  public static final long PILLOW_MAX_PIXELS = 89_478_485L;

  /** 4 MiB, 16,384 px a side, Pillow's pixel bound. */
  public static final ImageLimits DEFAULT =
      new ImageLimits(4L * 1024 * 1024, 16_384, 16_384, PILLOW_MAX_PIXELS);

  public ImageLimits {
    if (maxBytes <= 0 || maxWidth <= 0 || maxHeight <= 0 || maxPixels <= 0) {
      throw new IllegalArgumentException("image limits must be positive");
    }
  }
}
