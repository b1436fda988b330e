package dev.refinery.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refinery.runtime.images.ImageCheck;
import dev.refinery.runtime.images.ImageReasons;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads the elements of a multimodal JSON record, in the shapes the field publishes:
 *
 * <ul>
 *   <li><b>OBELICS</b>: {@code texts} and {@code images}, two lists of one length where each
 *       position holds a text or an image (the other null);
 *   <li><b>MMC4</b>: {@code text_list} and {@code image_info}, each image placed after the text of
 *       its {@code matched_text_index} and named by {@code image_name};
 *   <li><b>interleaved content</b>: {@code content}, a list of {@code {"type": "text", "text": …}}
 *       and {@code {"type": "image", …}};
 *   <li><b>image-caption pairs</b> (LAION): {@code image} with {@code caption}, {@code TEXT},
 *       {@code alt} or a configured text field, and {@code url}.
 * </ul>
 *
 * An image is given inline (base64, or a {@code data:} URI) or as a path relative to the file that
 * holds the record; a path may not leave that file's folder, and a pushed record (no file) may not
 * name one. Remote URLs are not fetched: a record that gives only a URL has its image refused as
 * {@code IMAGE_UNREADABLE}.
 */
final class MultimodalJson {
  private static final List<String> CAPTION_FIELDS = List.of("caption", "TEXT", "alt", "alt_text");

  private final Path folder;
  private final long maxImageBytes;

  /**
   * @param folder the folder of the file being read, where relative paths resolve; {@code null} for
   *     pushed records
   */
  MultimodalJson(Path folder, long maxImageBytes) {
    this.folder = folder == null ? null : folder.toAbsolutePath().normalize();
    this.maxImageBytes = maxImageBytes;
  }

  /** Whether the record has one of the multimodal shapes. */
  static boolean present(JsonNode node) {
    return (node.path("texts").isArray() && node.path("images").isArray())
        || (node.path("text_list").isArray() && node.path("image_info").isArray())
        || (node.path("content").isArray() && hasTypedElements(node.path("content")))
        || (node.has("image") && !node.path("image").isNull());
  }

  private static boolean hasTypedElements(JsonNode content) {
    for (JsonNode element : content) {
      if (element.isObject() && element.path("type").isTextual()) {
        return true;
      }
    }
    return false;
  }

  /** What is wrong with a record's shape; thrown before any element is read. */
  static final class ShapeException extends Exception {
    ShapeException(String message) {
      super(message);
    }
  }

  /**
   * The record's elements in reading order.
   *
   * @param textFields the configured text fields, tried for a pair's caption after the usual ones
   * @throws ShapeException if the lists do not fit together
   */
  List<Multimodal.Element> elements(JsonNode node, List<String> textFields) throws ShapeException {
    if (node.path("texts").isArray() && node.path("images").isArray()) {
      return obelics(node.path("texts"), node.path("images"));
    }
    if (node.path("text_list").isArray() && node.path("image_info").isArray()) {
      return mmc4(node.path("text_list"), node.path("image_info"));
    }
    if (node.path("content").isArray()) {
      return content(node.path("content"));
    }
    String caption = firstText(node, CAPTION_FIELDS);
    if (caption == null) {
      caption = firstText(node, textFields);
    }
    List<Multimodal.Element> elements = new ArrayList<>();
    elements.add(picture(node.path("image"), caption, text(node.path("url")), "image"));
    if (caption != null) {
      elements.add(new Multimodal.Text(caption));
    }
    return elements;
  }

  private List<Multimodal.Element> obelics(JsonNode texts, JsonNode images) throws ShapeException {
    if (texts.size() != images.size()) {
      throw new ShapeException(
          "texts has " + texts.size() + " elements and images " + images.size() + ": they pair up");
    }
    List<Multimodal.Element> elements = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      JsonNode text = texts.get(i);
      JsonNode image = images.get(i);
      boolean hasText = !text.isNull();
      boolean hasImage = !image.isNull();
      if (hasText == hasImage) {
        throw new ShapeException(
            "position "
                + i
                + " must hold a text or an image, found "
                + (hasText ? "both" : "none"));
      }
      if (hasText) {
        if (!text.isTextual()) {
          throw new ShapeException("texts[" + i + "] is not a string");
        }
        elements.add(new Multimodal.Text(text.textValue()));
      } else {
        elements.add(picture(image, null, null, "images[" + i + "]"));
      }
    }
    return elements;
  }

  private List<Multimodal.Element> mmc4(JsonNode texts, JsonNode images) throws ShapeException {
    List<List<Multimodal.Element>> after = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      if (!texts.get(i).isTextual()) {
        throw new ShapeException("text_list[" + i + "] is not a string");
      }
      after.add(new ArrayList<>());
    }
    for (int i = 0; i < images.size(); i++) {
      JsonNode info = images.get(i);
      JsonNode index = info.path("matched_text_index");
      if (!index.canConvertToInt() || index.asInt() < 0 || index.asInt() >= texts.size()) {
        throw new ShapeException(
            "image_info[" + i + "].matched_text_index is not an index of text_list");
      }
      JsonNode spec = info.has("image_name") ? info.path("image_name") : info;
      after
          .get(index.asInt())
          .add(picture(spec, null, text(info.path("raw_url")), "image_info[" + i + "]"));
    }
    List<Multimodal.Element> elements = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      elements.add(new Multimodal.Text(texts.get(i).textValue()));
      elements.addAll(after.get(i));
    }
    return elements;
  }

  private List<Multimodal.Element> content(JsonNode content) throws ShapeException {
    List<Multimodal.Element> elements = new ArrayList<>();
    for (int i = 0; i < content.size(); i++) {
      JsonNode element = content.get(i);
      String type = text(element.path("type"));
      if ("text".equals(type) && element.path("text").isTextual()) {
        elements.add(new Multimodal.Text(element.path("text").textValue()));
      } else if ("image".equals(type) || "image_url".equals(type)) {
        JsonNode spec = element.has("image") ? element.path("image") : element;
        if ("image_url".equals(type) && element.path("image_url").has("url")) {
          spec = element.path("image_url").path("url");
        }
        elements.add(
            picture(
                spec,
                firstText(element, CAPTION_FIELDS),
                text(element.path("url")),
                "content[" + i + "]"));
      } else {
        throw new ShapeException(
            "content[" + i + "] is neither {\"type\": \"text\", \"text\": ...} nor an image");
      }
    }
    return elements;
  }

  /**
   * An image from its specification: a string (a {@code data:} URI, base64, or a path), or an
   * object with {@code bytes}/{@code base64}/{@code data}, {@code path}/{@code file}/{@code
   * image_name}, {@code url} and a caption.
   */
  Multimodal.Picture picture(JsonNode spec, String caption, String url, String where) {
    if (spec.isObject()) {
      String captionHere = firstText(spec, CAPTION_FIELDS);
      String c = captionHere != null ? captionHere : caption;
      String u = text(spec.path("url")) != null ? text(spec.path("url")) : url;
      for (String field : List.of("bytes", "base64", "data")) {
        if (spec.path(field).isTextual()) {
          return inline(spec.path(field).textValue(), c, u, where);
        }
      }
      for (String field : List.of("path", "file", "image_name", "src")) {
        if (spec.path(field).isTextual()) {
          return file(spec.path(field).textValue(), c, u, where);
        }
      }
      if (u != null) {
        return remote(u, c, where);
      }
      return Multimodal.Picture.unreadable(
          "an image needs bytes (base64), a path or a url", c, u, where);
    }
    if (!spec.isTextual()) {
      return Multimodal.Picture.unreadable(
          "an image must be a string or an object, found " + spec.getNodeType(),
          caption,
          url,
          where);
    }
    String value = spec.textValue();
    if (value.startsWith("data:")) {
      return inline(value, caption, url, where);
    }
    if (value.startsWith("http://") || value.startsWith("https://")) {
      return remote(value, caption, where);
    }
    if (value.indexOf('.') < 0 && value.length() > 64) {
      // base64 has no dots, and a path to an image has one (a data: URI or {"bytes": ...} is plain)
      return inline(value, caption, url, where);
    }
    return file(value, caption, url, where);
  }

  private Multimodal.Picture inline(String value, String caption, String url, String where) {
    String data = value;
    if (value.startsWith("data:")) {
      int comma = value.indexOf(',');
      if (comma < 0 || !value.substring(0, comma).endsWith(";base64")) {
        return Multimodal.Picture.unreadable(
            "a data: URI must be data:<type>;base64,<bytes>", caption, url, where);
      }
      data = value.substring(comma + 1);
    }
    if ((long) data.length() * 3 / 4 > maxImageBytes + 3) {
      return new Multimodal.Picture(
          null,
          new ImageCheck.Refusal(
              ImageReasons.IMAGE_TOO_LARGE,
              "the inline image has about " + data.length() * 3L / 4 + " bytes, over the limit",
              (double) (data.length() * 3L / 4),
              (double) maxImageBytes),
          caption,
          url,
          where);
    }
    try {
      // strict: the MIME decoder would skip any character, "@@@" decoding to nothing
      String compact = data.indexOf('\n') < 0 ? data : data.replace("\r", "").replace("\n", "");
      return Multimodal.Picture.of(Base64.getDecoder().decode(compact), caption, url, where);
    } catch (IllegalArgumentException e) {
      return Multimodal.Picture.unreadable(
          "the inline image is not base64: " + e.getMessage(), caption, url, where);
    }
  }

  private Multimodal.Picture file(String name, String caption, String url, String where) {
    if (folder == null) {
      return Multimodal.Picture.unreadable(
          "a pushed record cannot refer to a file (" + name + "): send the image inline, base64",
          caption,
          url,
          where);
    }
    Path path;
    try {
      path = folder.resolve(name).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      return Multimodal.Picture.unreadable("not a path: " + name, caption, url, where);
    }
    if (!path.startsWith(folder)) {
      return Multimodal.Picture.unreadable(
          "the path " + name + " leaves the folder of the file that names it", caption, url, where);
    }
    if (!Files.isRegularFile(path)) {
      return Multimodal.Picture.unreadable("no such image file: " + name, caption, url, where);
    }
    try (InputStream in = Files.newInputStream(path)) {
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxImageBytes + 1));
      if (bytes.length > maxImageBytes) {
        long size = Files.size(path);
        return new Multimodal.Picture(
            null,
            new ImageCheck.Refusal(
                ImageReasons.IMAGE_TOO_LARGE,
                name + " has " + size + " bytes, over the limit of " + maxImageBytes,
                (double) size,
                (double) maxImageBytes),
            caption,
            url,
            name);
      }
      return Multimodal.Picture.of(bytes, caption, url, name);
    } catch (IOException e) {
      return Multimodal.Picture.unreadable(
          "cannot read " + name + ": " + e.getMessage(), caption, url, where);
    }
  }

  private static Multimodal.Picture remote(String url, String caption, String where) {
    return Multimodal.Picture.unreadable(
        "remote images are not fetched ("
            + url
            + "): give the image's bytes or a path beside the file",
        caption,
        url,
        where);
  }

  private static String firstText(JsonNode node, List<String> fields) {
    for (String field : fields) {
      JsonNode value = JsonlFormat.at(node, field);
      if (value != null && value.isTextual() && !value.textValue().isBlank()) {
        return value.textValue();
      }
    }
    return null;
  }

  private static String text(JsonNode node) {
    return node != null && node.isTextual() ? node.textValue() : null;
  }
}
