package dev.refinery.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.runtime.images.ImageCheck;
import dev.refinery.runtime.images.ImageReasons;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A WebDataset shard ({@code .tar}, also {@code .tar.gz} or {@code .tar.zst}): the files that share
 * a key ({@code dir/000042.jpg}, {@code dir/000042.txt}, {@code dir/000042.json}; the key is the
 * path up to the first dot of the file name) are one sample, and a sample is one document. Its
 * images ({@code jpg jpeg png webp gif bmp tif tiff}) come first, then its text ({@code txt},
 * {@code text}, {@code caption}, or the JSON's {@code caption} or text field); the JSON's {@code
 * url}, time fields ({@code ingest.jsonl.time.field}) and scalar fields are the document's URL,
 * fetch time and attributes (the img2dataset layout). Other files of a sample are ignored; a sample
 * with neither text nor image is rejected.
 */
final class WebDatasetReader implements DocumentReader {
  /** A sample's JSON is one value: what follows it is not ignored (as Jackson's default does). */
  private static final ObjectMapper JSON =
      com.fasterxml.jackson.databind.json.JsonMapper.builder()
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  static final Set<String> IMAGE_EXTENSIONS =
      Set.of("jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff");
  private static final Set<String> TEXT_EXTENSIONS = Set.of("txt", "text", "caption");

  private final Decompression.Counted in;
  private final TarArchiveInputStream tar;
  private final String name;
  private final IngestConfig config;
  private final Rejector rejector;
  private final Multimodal multimodal;
  private TarArchiveEntry pending;
  private long position;

  WebDatasetReader(Decompression.Counted in, String name, IngestConfig config, Rejector rejector) {
    this.in = in;
    this.tar = new TarArchiveInputStream(in);
    this.name = name;
    this.config = config;
    this.rejector = rejector;
    this.multimodal = new Multimodal(config);
  }

  /** The files of one sample, by extension, in tar order. */
  private record Member(String extension, byte[] bytes, long size) {}

  @Override
  public Parsed next() throws IOException {
    TarArchiveEntry entry = pending != null ? pending : nextFile();
    pending = null;
    if (entry == null) {
      return null;
    }
    String key = key(entry.getName());
    List<Member> members = new ArrayList<>();
    while (entry != null && key.equals(key(entry.getName()))) {
      members.add(read(entry));
      entry = nextFile();
    }
    pending = entry;
    position++;
    return sample(key, members);
  }

  /** Passes over the next {@code n} samples without reading their files (a resumed run's). */
  @Override
  public long skip(long n) throws IOException {
    long done = 0;
    TarArchiveEntry entry = pending != null ? pending : nextFile();
    while (entry != null && done < n) {
      String key = key(entry.getName());
      while (entry != null && key.equals(key(entry.getName()))) {
        entry = nextFile();
      }
      done++;
      position++;
    }
    pending = entry;
    return done;
  }

  private TarArchiveEntry nextFile() throws IOException {
    for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
      if (e.isFile()) {
        return e;
      }
    }
    return null;
  }

  /** A member's bytes, or, past the bounds, none (its size says why). */
  private Member read(TarArchiveEntry entry) throws IOException {
    String extension = extension(entry.getName());
    long size = entry.getSize();
    long bound =
        IMAGE_EXTENSIONS.contains(extension)
            ? multimodal.check().limits().maxBytes()
            : config.maxDocumentBytes();
    if (size > bound) {
      return new Member(extension, null, size);
    }
    return new Member(extension, tar.readNBytes((int) size), size);
  }

  private Parsed sample(String key, List<Member> members) {
    String location = name + ":" + key;
    List<Multimodal.Element> images = new ArrayList<>();
    String text = null;
    JsonNode json = null;
    byte[] original = new byte[0];
    for (Member m : members) {
      if (IMAGE_EXTENSIONS.contains(m.extension())) {
        String where = key + "." + m.extension();
        images.add(
            m.bytes() == null
                ? new Multimodal.Picture(
                    null,
                    new ImageCheck.Refusal(
                        ImageReasons.IMAGE_TOO_LARGE,
                        where + " has " + m.size() + " bytes, over the limit",
                        (double) m.size(),
                        (double) multimodal.check().limits().maxBytes()),
                    null,
                    null,
                    where)
                : Multimodal.Picture.of(m.bytes(), null, null, where));
      } else if (m.bytes() == null) {
        return tooLarge(key, m, location);
      } else if (TEXT_EXTENSIONS.contains(m.extension()) && text == null) {
        original = m.bytes();
        try {
          text = JsonlFormat.utf8(m.bytes());
        } catch (CharacterCodingException e) {
          return rejector.reject(
              RejectReason.INVALID_UTF8, JsonlFormat.invalidUtf8(e), m.bytes(), location);
        }
      } else if (m.extension().equals("json")) {
        try {
          json = JSON.readTree(m.bytes());
        } catch (IOException e) {
          return rejector.reject(
              RejectReason.MALFORMED_JSON,
              key + ".json: malformed JSON: " + e.getMessage(),
              m.bytes(),
              location);
        }
        if (original.length == 0) {
          original = m.bytes();
        }
      }
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("origin", location);
    String url = null;
    java.time.Instant fetchedAt = null;
    if (json != null && json.isObject()) {
      if (text == null) {
        for (String field : concat(List.of("caption", "TEXT", "alt"), config.textFields())) {
          JsonNode value = JsonlFormat.at(json, field);
          if (value != null && value.isTextual()) {
            text = value.textValue();
            break;
          }
        }
      }
      url = json.path("url").isTextual() ? json.path("url").textValue() : null;
      for (String field : config.timeFields()) {
        JsonNode value = JsonlFormat.at(json, field);
        if (fetchedAt == null && value != null && value.isValueNode()) {
          fetchedAt = JsonlFormat.time(value.asText());
        }
      }
      for (Map.Entry<String, JsonNode> field : json.properties()) {
        JsonNode value = field.getValue();
        if (value.isValueNode() && !value.isNull() && attributes.size() < 32) {
          String s = value.asText();
          attributes.put(field.getKey(), s.length() > 1024 ? s.substring(0, 1024) : s);
        }
      }
    }
    if (images.isEmpty() && text == null) {
      return rejector.reject(
          RejectReason.BAD_MULTIMODAL,
          "sample " + key + " has neither an image nor a text (files: " + extensions(members) + ")",
          original,
          location);
    }
    // keys repeat across hand-made shards: the sample's id is its URL, else its shard and key
    String nativeId = url != null ? url : name + "#" + key;
    List<Multimodal.Element> elements = new ArrayList<>(images);
    if (text != null) {
      elements.add(new Multimodal.Text(text));
    }
    return multimodal.build(
        elements,
        Multimodal.PARAGRAPHS,
        nativeId,
        url,
        fetchedAt,
        attributes,
        original,
        location,
        rejector);
  }

  private Parsed tooLarge(String key, Member m, String location) {
    return new Parsed.Rejected(
        rejector
            .rejection(
                RejectReason.DOCUMENT_TOO_LARGE,
                key
                    + "."
                    + m.extension()
                    + " has "
                    + m.size()
                    + " bytes, over "
                    + IngestConfig.MAX_DOCUMENT_BYTES
                    + "="
                    + config.maxDocumentBytes(),
                new byte[0],
                m.size(),
                location)
            .setMeasured((double) m.size())
            .setThreshold((double) config.maxDocumentBytes())
            .build());
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static String extensions(List<Member> members) {
    List<String> names = new ArrayList<>();
    members.forEach(m -> names.add(m.extension()));
    return String.join(", ", names);
  }

  /** The sample key: the path up to the first dot of the file name. */
  static String key(String path) {
    int slash = path.lastIndexOf('/');
    int dot = path.indexOf('.', slash + 1);
    return dot < 0 ? path : path.substring(0, dot);
  }

  /** What follows the key, lower case: {@code jpg}, {@code json}, {@code seg.png}. */
  static String extension(String path) {
    int slash = path.lastIndexOf('/');
    int dot = path.indexOf('.', slash + 1);
    return dot < 0 ? "" : path.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  @Override
  public long bytesRead() {
    return in.bytes();
  }

  @Override
  public long fileBytes() {
    return in.fileBytes();
  }

  @Override
  public String position() {
    return name + "@sample" + position;
  }

  @Override
  public byte[] unfinishedRecord() {
    return new byte[0];
  }

  @Override
  public void close() throws IOException {
    tar.close();
  }
}
