package dev.refinery.runtime.images;

/** The reasons an image is refused, as written on {@code corpus.rejected.v1}. */
public final class ImageReasons {
  private ImageReasons() {}

  /** No bytes at all. */
  public static final String IMAGE_EMPTY = "IMAGE_EMPTY";

  /** More bytes than {@code ImageLimits.maxBytes}. */
  public static final String IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE";

  /** No reader knows the format. */
  public static final String IMAGE_UNKNOWN_FORMAT = "IMAGE_UNKNOWN_FORMAT";

  /** Wider or taller than the limits, by its header. */
  public static final String IMAGE_DIMENSIONS = "IMAGE_DIMENSIONS";

  /** More pixels than the limit, by its header: a decompression bomb. */
  public static final String IMAGE_PIXELS = "IMAGE_PIXELS";

  /** The decoder failed or warned: truncated or corrupt. */
  public static final String IMAGE_CORRUPT = "IMAGE_CORRUPT";

  /** A reference to an image that could not be read (a missing file, bad base64). */
  public static final String IMAGE_UNREADABLE = "IMAGE_UNREADABLE";

  /** Beyond the most images one document may hold ({@code Multimodal.MAX_IMAGES}). */
  public static final String IMAGE_TOO_MANY = "IMAGE_TOO_MANY";

  /** Smaller than the minimum side (a rule of dedup-filter). */
  public static final String IMAGE_TOO_SMALL = "IMAGE_TOO_SMALL";

  /** Longer side over shorter beyond the maximum ratio (a rule of dedup-filter). */
  public static final String IMAGE_ASPECT_RATIO = "IMAGE_ASPECT_RATIO";

  /** The same bytes as an image seen before. */
  public static final String IMAGE_EXACT_DUPLICATE = "IMAGE_EXACT_DUPLICATE";

  /** A perceptual hash within the distance of an image seen before. */
  public static final String IMAGE_NEAR_DUPLICATE = "IMAGE_NEAR_DUPLICATE";

  /** Taken down by its hash. */
  public static final String IMAGE_TAKEN_DOWN = "IMAGE_TAKEN_DOWN";
}
