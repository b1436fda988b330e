package dev.refinery.dedup;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.ImageRef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Keeps a document's images where they stand while the rules edit its text: each image becomes a
 * marker character (U+FFFC, the object replacement character) at its offset, the rules run over the
 * text with its markers, and the markers found in the result give the images their new offsets. A
 * redaction before an image, or a line dropped above it, moves it with the text.
 */
final class ImageMarkers {
  static final char MARKER = '\uFFFC';

  private ImageMarkers() {}

  /** The document's text with a marker at each image's offset; the text itself without images. */
  static String insert(Document doc) {
    String text = doc.getText();
    if (doc.getImages().isEmpty()) {
      return text;
    }
    // a marker in the text itself would be taken for an image
    text = text.replace(MARKER, '\uFFFD');
    StringBuilder out = new StringBuilder(text.length() + doc.getImages().size());
    int at = 0;
    for (ImageRef image : byOffset(doc)) {
      int offset = Math.min(Math.max(image.getOffset(), at), text.length());
      out.append(text, at, offset).append(MARKER);
      at = offset;
    }
    return out.append(text, at, text.length()).toString();
  }

  /**
   * Sets each image's offset from the markers of {@code screened} and returns the text without
   * them. An image whose marker is gone (a dropped line held it) stands where the next marker
   * stands, or at the end.
   */
  static String place(Document doc, String screened) {
    if (doc.getImages().isEmpty()) {
      return screened;
    }
    StringBuilder text = new StringBuilder(screened.length());
    List<Integer> offsets = new ArrayList<>();
    for (int i = 0; i < screened.length(); i++) {
      char c = screened.charAt(i);
      if (c == MARKER) {
        offsets.add(text.length());
      } else {
        text.append(c);
      }
    }
    List<ImageRef> images = byOffset(doc);
    int lost = images.size() - offsets.size();
    for (int i = 0; i < images.size(); i++) {
      // the markers lost are taken to be the first ones: the images after keep theirs
      int marker = i - Math.max(0, lost);
      images.get(i).setOffset(marker >= 0 && marker < offsets.size() ? offsets.get(marker) : 0);
    }
    return text.toString();
  }

  /** The images as tokens of the document's content, for its exact and near-duplicate keys. */
  static String tokens(Document doc) {
    if (doc.getImages().isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (ImageRef image : doc.getImages()) {
      out.append(" <image:").append(image.getSha256()).append('>');
    }
    return out.toString();
  }

  private static List<ImageRef> byOffset(Document doc) {
    List<ImageRef> images = new ArrayList<>(doc.getImages());
    images.sort(Comparator.comparingInt(ImageRef::getOffset));
    return images;
  }
}
