package dev.refinery.runtime.images;

import dev.refinery.schemas.Image;
import java.time.Duration;

/**
 * Where images are kept, by content: the SHA-256 of their bytes. Documents and token batches carry
 * only the hash (the claim-check pattern); a reader asks the store for the bytes. The embedded
 * default is the compacted topic {@code corpus.images.v1} ({@link KafkaImageStore}); a deployment
 * whose images outgrow Kafka puts an object store behind this interface (keys {@code
 * images/<sha256>}, written before the document that references them is committed, so a reader
 * never finds a reference without its bytes).
 */
public interface ImageStore extends AutoCloseable {
  /**
   * The image with this SHA-256, waiting up to {@code wait} for it to become readable.
   *
   * @return the image, or {@code null} if the store does not have it in time
   */
  Image get(String sha256, Duration wait) throws InterruptedException;

  /**
   * Fetches these images in the background, so that a {@link #get} soon after finds them at hand;
   * by default nothing (a store whose reads are fast).
   */
  default void prefetch(java.util.Collection<String> sha256s) {}

  @Override
  void close();
}
