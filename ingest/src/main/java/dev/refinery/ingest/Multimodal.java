package dev.refinery.ingest;

import dev.refinery.runtime.images.ImageCheck;
import dev.refinery.runtime.images.ImageReasons;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.Image;
import dev.refinery.schemas.ImageRef;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds one document of text and images, in reading order, whatever format it came in (WebDataset
 * samples, interleaved JSONL, image-caption pairs, WARC pages). Texts are joined by blank lines (or
 * are pieces of one text); each image stands at the character offset where it came. Every image is
 * checked ({@link ImageCheck}): a valid one becomes a reference on the document and its bytes go to
 * {@code corpus.images.v1} once; a refused one becomes a rejection of that image (with its index in
 * the document), and the document goes on without it. A document left with neither text nor a valid
 * image is rejected.
 */
final class Multimodal {
  /** Texts of their own (paragraphs, captions) are joined by a blank line. */
  static final String PARAGRAPHS = "\n\n";

  /** The most images one document holds; the rest are refused as IMAGE_TOO_MANY. */
  static final int MAX_IMAGES = 1024;

  /** One element of a document, in reading order. */
  sealed interface Element permits Text, Picture {}

  /** A run of text. */
  record Text(String text) implements Element {}

  /**
   * An image: its bytes, or, where they could not be had, why (then {@code bytes} is null).
   *
   * @param where where it was in the input (a tar entry, a path, an element index), for its
   *     rejection
   */
  record Picture(byte[] bytes, ImageCheck.Refusal unread, String caption, String url, String where)
      implements Element {
    static Picture of(byte[] bytes, String caption, String url, String where) {
      return new Picture(bytes, null, caption, url, where);
    }

    static Picture unreadable(String detail, String caption, String url, String where) {
      return new Picture(
          null,
          new ImageCheck.Refusal(ImageReasons.IMAGE_UNREADABLE, detail, null, null),
          caption,
          url,
          where);
    }
  }

  private final ImageCheck check;

  Multimodal(IngestConfig config) {
    this.check = new ImageCheck(config.imageLimits());
  }

  /** The check images go through, for readers that refuse an image before reading it whole. */
  ImageCheck check() {
    return check;
  }

  /**
   * The document these elements make, or its rejection.
   *
   * @param separator what joins the texts ({@link #PARAGRAPHS} for texts of their own); with ""
   *     they are pieces of one text, each kept as it is
   * @param original the record's bytes as read, for a rejection of the whole document
   */
  Parsed build(
      List<Element> elements,
      String separator,
      String nativeId,
      String url,
      Instant fetchedAt,
      Map<String, String> attributes,
      byte[] original,
      String location,
      Rejector rejector) {
    StringBuilder text = new StringBuilder();
    List<Picture> pictures = new ArrayList<>();
    List<Integer> offsets = new ArrayList<>();
    for (Element element : elements) {
      if (element instanceof Text t) {
        if (separator.isEmpty()) {
          text.append(t.text());
        } else if (t.text() != null && !t.text().isBlank()) {
          if (!text.isEmpty()) {
            text.append(separator);
          }
          text.append(t.text());
        }
      } else {
        Picture p = (Picture) element;
        pictures.add(p);
        offsets.add(text.length());
      }
    }
    String body = text.toString();
    if (!body.isEmpty()) {
      Parsed.Rejected unusable = JsonlFormat.checkText(body, original, location, rejector);
      if (unusable != null) {
        return unusable;
      }
    }
    List<ImageCheck.Outcome> outcomes = new ArrayList<>(pictures.size());
    List<String> hashes = new ArrayList<>();
    for (Picture p : pictures) {
      ImageCheck.Outcome outcome =
          outcomes.size() >= MAX_IMAGES
              ? new ImageCheck.Outcome(
                  null,
                  new ImageCheck.Refusal(
                      ImageReasons.IMAGE_TOO_MANY,
                      "a document holds " + MAX_IMAGES + " images at most",
                      (double) pictures.size(),
                      (double) MAX_IMAGES))
              : p.bytes() == null
                  ? new ImageCheck.Outcome(null, p.unread())
                  : check.check(p.bytes());
      outcomes.add(outcome);
      if (outcome.valid()) {
        hashes.add(outcome.image().sha256());
      }
    }
    if (body.isEmpty() && hashes.isEmpty()) {
      StringBuilder why = new StringBuilder("neither text nor a valid image");
      for (ImageCheck.Outcome outcome : outcomes) {
        why.append("; ").append(outcome.refusal().reason()).append(": ");
        why.append(outcome.refusal().detail());
      }
      return rejector.reject(RejectReason.BAD_MULTIMODAL, why.toString(), original, location);
    }
    String id =
        nativeId != null
            ? DocumentIds.of(rejector.source().name(), nativeId)
            : url != null
                ? DocumentIds.of(rejector.source().name(), url)
                : DocumentIds.forContent(
                    rejector.source().name(), body + "\0" + String.join(",", hashes));
    List<ImageRef> refs = new ArrayList<>();
    Map<String, Image> blobs = new LinkedHashMap<>();
    List<RejectedDocument> refused = new ArrayList<>();
    for (int i = 0; i < pictures.size(); i++) {
      Picture p = pictures.get(i);
      ImageCheck.Outcome outcome = outcomes.get(i);
      if (outcome.valid()) {
        ImageCheck.Checked image = outcome.image();
        refs.add(
            ImageRef.newBuilder()
                .setSha256(image.sha256())
                .setMediaType(image.mediaType())
                .setWidth(image.width())
                .setHeight(image.height())
                .setSize(image.bytes().length)
                .setPhash(image.phash())
                .setOffset(offsets.get(i))
                .setIndex(i)
                .setCaption(p.caption())
                .setUrl(p.url())
                .build());
        blobs.computeIfAbsent(image.sha256(), sha -> image.toRecord());
      } else {
        refused.add(refusal(id, i, p, outcome.refusal(), location, rejector));
      }
    }
    Document document =
        Document.newBuilder()
            .setId(id)
            .setSource(rejector.source().toSource())
            .setNativeId(nativeId != null ? nativeId : url)
            .setUrl(url)
            .setFetchedAt(fetchedAt)
            .setText(body)
            .setAttributes(attributes)
            .setImages(refs)
            .setIngestedAt(rejector.clock().instant())
            .build();
    return new Parsed.Accepted(document, List.copyOf(blobs.values()), refused);
  }

  /** The rejection of one image of document {@code docId}: the document itself goes on. */
  private static RejectedDocument refusal(
      String docId,
      int index,
      Picture picture,
      ImageCheck.Refusal refusal,
      String location,
      Rejector rejector) {
    byte[] bytes = picture.bytes() == null ? new byte[0] : picture.bytes();
    return Rejections.of(
            docId,
            Stage.INGEST,
            refusal.reason(),
            "image " + index + " (" + picture.where() + "): " + refusal.detail(),
            bytes,
            rejector.maxOriginalBytes(),
            rejector.clock().instant())
        .setSource(rejector.source().toSource())
        .setLocation(location)
        .setMeasured(refusal.measured())
        .setThreshold(refusal.threshold())
        .setImageIndex(index)
        .setImageSha256(picture.bytes() == null ? null : ImageCheck.sha256(bytes))
        .setRule("image")
        .build();
  }
}
