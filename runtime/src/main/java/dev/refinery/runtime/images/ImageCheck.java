package dev.refinery.runtime.images;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;

/**
 * Validates an image before anything else sees it: its bytes, then its declared width, height and
 * pixel count read from the header (a 50,000 × 50,000 PNG is refused before a pixel is allocated),
 * then a full decode, subsampled so that memory stays bounded whatever the image's size. What
 * passes comes back with its SHA-256 (its content address), format, dimensions and 64-bit
 * perceptual hash; what fails comes back with a reason.
 *
 * <p>Decoding is the JDK's ImageIO with TwelveMonkeys' readers (WebP, and the JPEGs the JDK's
 * reader refuses). A decoder warning (a JPEG cut short, which ImageIO would otherwise fill with
 * grey) is a corrupt image, as is any trailing data a JPEG lacks its end marker for.
 *
 * <p>Thread-safe: every call makes its own reader.
 */
public final class ImageCheck {
  /** The decoded side of the longest edge, at most: enough to hash, bounded in memory. */
  static final int DECODE_EDGE = 512;

  private final ImageLimits limits;

  public ImageCheck(ImageLimits limits) {
    this.limits = limits;
  }

  /** The bounds this check applies. */
  public ImageLimits limits() {
    return limits;
  }

  /** Why an image was refused: a machine-readable reason, a sentence, and the figures if any. */
  public record Refusal(String reason, String detail, Double measured, Double threshold) {}

  /** A valid image: what a document's reference to it and the image store hold. */
  public record Checked(
      String sha256, String mediaType, int width, int height, long phash, byte[] bytes) {
    /** The image as {@code corpus.images.v1} stores it. */
    public dev.refinery.schemas.Image toRecord() {
      return dev.refinery.schemas.Image.newBuilder()
          .setSha256(sha256)
          .setMediaType(mediaType)
          .setWidth(width)
          .setHeight(height)
          .setPhash(phash)
          .setData(java.nio.ByteBuffer.wrap(bytes))
          .build();
    }
  }

  /** The outcome of a check: exactly one of the two is set. */
  public record Outcome(Checked image, Refusal refusal) {
    public boolean valid() {
      return image != null;
    }
  }

  /** Checks {@code bytes}; never throws on bad input. */
  public Outcome check(byte[] bytes) {
    if (bytes.length == 0) {
      return refused(ImageReasons.IMAGE_EMPTY, "the image has no bytes", null, null);
    }
    if (bytes.length > limits.maxBytes()) {
      return refused(
          ImageReasons.IMAGE_TOO_LARGE,
          "the image has " + bytes.length + " bytes, over the limit of " + limits.maxBytes(),
          (double) bytes.length,
          (double) limits.maxBytes());
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return refused(
            ImageReasons.IMAGE_UNKNOWN_FORMAT,
            "not an image in a known format (JPEG, PNG, GIF, BMP, WebP, TIFF); starts with "
                + HexFormat.of().formatHex(bytes, 0, Math.min(8, bytes.length)),
            null,
            null);
      }
      ImageReader reader = readers.next();
      try {
        return read(reader, in, bytes);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      // a decoder's failure on hostile bytes is the image's fault: refuse it, keep the stage
      return refused(
          ImageReasons.IMAGE_CORRUPT, "cannot decode the image: " + describe(e), null, null);
    }
  }

  private Outcome read(ImageReader reader, ImageInputStream in, byte[] bytes) throws IOException {
    reader.setInput(in, true, true);
    String format = reader.getFormatName().toLowerCase(Locale.ROOT);
    String mediaType = mediaType(format);
    int width = reader.getWidth(0);
    int height = reader.getHeight(0);
    if (width <= 0 || height <= 0) {
      return refused(
          ImageReasons.IMAGE_CORRUPT,
          "the header declares " + width + " × " + height + " pixels",
          null,
          null);
    }
    if (width > limits.maxWidth() || height > limits.maxHeight()) {
      boolean wide = width > limits.maxWidth();
      return refused(
          ImageReasons.IMAGE_DIMENSIONS,
          "the header declares "
              + width
              + " × "
              + height
              + " pixels, over the limit of "
              + limits.maxWidth()
              + " × "
              + limits.maxHeight(),
          (double) (wide ? width : height),
          (double) (wide ? limits.maxWidth() : limits.maxHeight()));
    }
    long pixels = (long) width * height;
    if (pixels > limits.maxPixels()) {
      return refused(
          ImageReasons.IMAGE_PIXELS,
          "the header declares "
              + width
              + " × "
              + height
              + " = "
              + pixels
              + " pixels, over the limit of "
              + limits.maxPixels()
              + " (a decompression bomb, or an image no trainer needs whole)",
          (double) pixels,
          (double) limits.maxPixels());
    }
    List<String> warnings = new ArrayList<>();
    reader.addIIOReadWarningListener(
        new IIOReadWarningListener() {
          @Override
          public void warningOccurred(ImageReader source, String warning) {
            warnings.add(warning);
          }
        });
    BufferedImage decoded = readAtMost(reader, width, height, DECODE_EDGE);
    if (!warnings.isEmpty()) {
      return refused(
          ImageReasons.IMAGE_CORRUPT,
          "the decoder reports: " + String.join("; ", warnings),
          null,
          null);
    }
    if ("image/jpeg".equals(mediaType) && !endsWithJpegEnd(bytes)) {
      return refused(
          ImageReasons.IMAGE_CORRUPT,
          "the JPEG has no end-of-image marker: the file is cut short",
          null,
          null);
    }
    long phash = PerceptualHash.of(decoded);
    return new Outcome(new Checked(sha256(bytes), mediaType, width, height, phash, bytes), null);
  }

  /**
   * A small PNG of the image, at most {@code edge} pixels a side, for a person to look at: what can
   * be decoded of it, a broken image's grey rest included; {@code null} when nothing can be (or its
   * header is over the limits: a bomb is not drawn).
   */
  public byte[] thumbnail(byte[] bytes, int edge) {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return null;
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if (width <= 0
            || height <= 0
            || width > limits.maxWidth()
            || height > limits.maxHeight()
            || (long) width * height > limits.maxPixels()) {
          return null;
        }
        BufferedImage decoded = readAtMost(reader, width, height, edge);
        double scale =
            Math.min(1.0, (double) edge / Math.max(decoded.getWidth(), decoded.getHeight()));
        int w = Math.max(1, (int) Math.round(decoded.getWidth() * scale));
        int h = Math.max(1, (int) Math.round(decoded.getHeight() * scale));
        return SampleImages.encode(SampleImages.resized(decoded, w, h), "png");
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Decodes the whole image, keeping one pixel in every so many a side that at most {@code edge}
   * remain: every byte is read (a cut or corrupt file still shows), memory stays bounded.
   */
  private static BufferedImage readAtMost(ImageReader reader, int width, int height, int edge)
      throws IOException {
    ImageReadParam param = reader.getDefaultReadParam();
    int step = Math.max(1, (Math.max(width, height) + edge - 1) / edge);
    param.setSourceSubsampling(step, step, 0, 0);
    return reader.read(0, param);
  }

  /** A JPEG ends with FF D9, possibly followed by padding zeros or a newline. */
  private static boolean endsWithJpegEnd(byte[] bytes) {
    int end = bytes.length;
    while (end > 2 && (bytes[end - 1] == 0 || bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
      end--;
    }
    return end >= 2 && (bytes[end - 2] & 0xff) == 0xff && (bytes[end - 1] & 0xff) == 0xd9;
  }

  private static String mediaType(String format) {
    return switch (format) {
      case "jpeg", "jpg" -> "image/jpeg";
      case "png" -> "image/png";
      case "gif" -> "image/gif";
      case "bmp" -> "image/bmp";
      case "webp" -> "image/webp";
      case "tif", "tiff" -> "image/tiff";
      default -> "image/" + format;
    };
  }

  /** The hex SHA-256 of {@code bytes}: an image's content address. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message;
  }

  private static Outcome refused(String reason, String detail, Double measured, Double threshold) {
    return new Outcome(null, new Refusal(reason, detail, measured, threshold));
  }
}
