package dev.refinery.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.netpreserve.jwarc.HttpResponse;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.ParsingException;
import org.netpreserve.jwarc.WarcCompression;
import org.netpreserve.jwarc.WarcConversion;
import org.netpreserve.jwarc.WarcReader;
import org.netpreserve.jwarc.WarcRecord;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.WarcTargetRecord;

/**
 * WARC files (plain or .gz), read with the IIPC's jwarc. A {@code response} record holding a
 * successful HTML page becomes a document of its main text ({@link HtmlText}), with the target URL,
 * the capture date and the page title; a {@code conversion} record becomes a document of its text.
 * Other records (warcinfo, request, metadata, images, redirects) hold no document and are skipped.
 *
 * <p>A record that does not parse is rejected as {@code BROKEN_WARC_RECORD} and reading goes on at
 * the next record: in a .warc.gz the next gzip member (each record is one), in a plain WARC the
 * next {@code WARC/} version line. So is a record whose {@code Content-Length} lies: one longer
 * than the rest of the file can hold is refused unread, and one that does not end at a record
 * boundary (CRLF CRLF, then the next record or the end) is found by reading the next record before
 * the record is handed on, so the records it swallowed or left behind are read as they are. What
 * the file may decompress to is bounded by the records' declared lengths, checked before a record's
 * body is read, so a bomb is refused unread.
 */
final class WarcDocumentReader implements DocumentReader {
  private static final byte[] GZIP_MAGIC = {0x1f, (byte) 0x8b, 0x08};

  /** Image responses indexed in one file, at most. */
  static final int MAX_IMAGE_RECORDS = 200_000;

  private static final byte[] VERSION_LINE = "\nWARC/1.".getBytes(StandardCharsets.US_ASCII);

  private final Path file;
  private final Multimodal multimodal;
  private final boolean images;

  /** Image responses of the file, target URI to record position; read on first need. */
  private Map<String, Long> imageRecords;

  private final FileChannel channel;
  private final WarcReader reader;
  private final String name;
  private final int maxBytes;
  private final long maxDecompressed;
  private final Rejector rejector;
  private long declared;
  private long lastRecordStart = -1;
  private long resumedAt = -1;
  private boolean exhausted;
  private final int maxRatio;
  private Fetched ahead;
  private boolean badTrailer;

  WarcDocumentReader(Path file, String name, IngestConfig config, Rejector rejector)
      throws IOException {
    this.file = file;
    this.multimodal = new Multimodal(config);
    this.images = config.warcImages();
    this.channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      this.reader = new WarcReader(channel);
    } catch (IOException | IllegalArgumentException e) {
      channel.close();
      throw new IOException("not a WARC file: " + e.getMessage(), e);
    }
    // accept what real crawlers write: bare LF line ends, odd header spacing
    reader.setLenient(true);
    reader.onWarning(
        warning -> {
          if (warning.contains("trailer")) {
            badTrailer = true;
          }
        });
    this.name = name;
    this.maxBytes = config.maxDocumentBytes();
    this.maxDecompressed = config.maxDecompressedBytes();
    this.maxRatio = config.maxCompressionRatio();
    this.rejector = rejector;
  }

  /** What reading the next record gave: a record, a parse failure, an I/O failure, or the end. */
  private record Fetched(WarcRecord record, Exception failure) {
    static final Fetched END = new Fetched(null, null);
  }

  @Override
  public Parsed next() throws IOException {
    if (exhausted) {
      return null;
    }
    Fetched fetched = ahead != null ? ahead : fetch();
    ahead = null;
    if (fetched.failure() instanceof IOException io) {
      throw io;
    }
    if (fetched.failure() != null) {
      Exception e = fetched.failure();
      // jwarc reports some malformed headers as runtime exceptions (a non-numeric Content-Length)
      String why = e instanceof ParsingException p ? p.getBaseMessage() : e.toString();
      Parsed.Rejected broken =
          rejector.reject(
              RejectReason.BROKEN_WARC_RECORD,
              "WARC record does not parse: " + why + "; reading goes on at the next record",
              new byte[0],
              0,
              name + "@" + failingRecord());
      resync();
      return broken;
    }
    if (fetched.record() == null) {
      return null;
    }
    WarcRecord record = fetched.record();
    lastRecordStart = record.position();
    resumedAt = -1;
    String location = name + "@" + record.position();
    long length = record.body().size();
    String impossible = impossibleLength(record, length);
    if (impossible != null) {
      return lyingLength(record, location, impossible);
    }
    declared += length + 512;
    if (declared > maxDecompressed) {
      throw new Decompression.LimitExceeded(
          "records declare more than "
              + IngestConfig.MAX_DECOMPRESSED_BYTES
              + "="
              + maxDecompressed
              + " bytes by "
              + location,
          declared,
          maxDecompressed);
    }
    Parsed parsed;
    try {
      if (record instanceof WarcResponse response) {
        parsed = response(response, location);
      } else if (record instanceof WarcConversion conversion) {
        parsed = conversion(conversion, location);
      } else {
        parsed = new Parsed.Skipped(record.type());
      }
    } catch (ParsingException | RuntimeException e) {
      String why = e instanceof ParsingException p ? p.getBaseMessage() : e.toString();
      parsed =
          rejector.reject(
              RejectReason.BROKEN_WARC_RECORD,
              record.type() + " record " + record.id() + " does not parse: " + why,
              record.serializeHeader(),
              location);
    }
    // the record must end where its Content-Length says: the next record is read now to know
    badTrailer = false;
    ahead = fetch();
    if (badTrailer
        && (ahead.failure() != null
            || ahead.record() == null
            || !startsARecord(ahead.record().position()))) {
      ahead = null;
      declared -= length + 512;
      return lyingLength(
          record,
          location,
          "its Content-Length of "
              + length
              + " does not end at a record boundary (no CRLF CRLF and next record there)");
    }
    return parsed;
  }

  /** Whether a record starts at this offset of the file: a version line, or a gzip member. */
  private boolean startsARecord(long offset) throws IOException {
    byte[] expected =
        reader.compression() == WarcCompression.GZIP
            ? GZIP_MAGIC
            : "WARC/".getBytes(StandardCharsets.US_ASCII);
    ByteBuffer head = ByteBuffer.allocate(expected.length);
    while (head.hasRemaining() && channel.read(head, offset + head.position()) > 0) {
      // read on
    }
    return Arrays.equals(head.array(), expected);
  }

  private Fetched fetch() {
    try {
      Optional<WarcRecord> next = reader.next();
      return next.map(r -> new Fetched(r, null)).orElse(Fetched.END);
    } catch (IOException | RuntimeException e) {
      return new Fetched(null, e);
    }
  }

  /**
   * Why a record's declared length cannot be true, or {@code null}: more than the rest of a plain
   * file holds, or than the rest of a compressed one may decompress to (past the 64 MiB where the
   * compression ratio starts to count, as for every compressed input).
   */
  private String impossibleLength(WarcRecord record, long length) throws IOException {
    long left = channel.size() - record.position();
    if (reader.compression() == WarcCompression.NONE && length > left) {
      return "its Content-Length of "
          + length
          + " is more than the "
          + left
          + " bytes left in the file";
    }
    if (reader.compression() != WarcCompression.NONE
        && length > Decompression.RATIO_CHECK_AFTER
        && length / maxRatio > left) {
      return "its Content-Length of "
          + length
          + " is more than the "
          + left
          + " compressed bytes left in the file may hold ("
          + IngestConfig.MAX_COMPRESSION_RATIO
          + "="
          + maxRatio
          + ")";
    }
    return null;
  }

  /**
   * Rejects a record whose length lies, and goes on at the next record boundary after its start.
   */
  private Parsed lyingLength(WarcRecord record, String location, String why) throws IOException {
    Parsed.Rejected rejected =
        rejector.reject(
            RejectReason.BROKEN_WARC_RECORD,
            record.type()
                + " record "
                + record.id()
                + " of "
                + record.headers().first("WARC-Target-URI").orElse("no target")
                + ": "
                + why
                + "; reading goes on at the next record",
            record.serializeHeader(),
            location);
    resumedAt = record.position();
    resync();
    return rejected;
  }

  /**
   * Where the record that failed starts: the first record boundary after the last good record (a
   * gzip member, or a version line), or the start of the file.
   */
  private long failingRecord() throws IOException {
    if (resumedAt >= 0) {
      return resumedAt;
    }
    if (lastRecordStart < 0) {
      return 0;
    }
    long found = find(marker(), lastRecordStart + 1);
    return found < 0 ? lastRecordStart + 1 : found;
  }

  /** Moves to the record boundary after the one that failed; with none left, the file is done. */
  private void resync() throws IOException {
    long found = find(marker(), failingRecord() + 1);
    if (found < 0) {
      exhausted = true;
      return;
    }
    resumedAt = found;
    reader.position(marker() == VERSION_LINE ? found + 1 : found);
  }

  private byte[] marker() {
    return reader.compression() == WarcCompression.GZIP ? GZIP_MAGIC : VERSION_LINE;
  }

  private long find(byte[] marker, long from) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    long base = from;
    while (base < channel.size()) {
      buffer.clear();
      int n = channel.read(buffer, base);
      if (n <= 0) {
        return -1;
      }
      byte[] bytes = buffer.array();
      for (int i = 0; i + marker.length <= n; i++) {
        if (Arrays.equals(bytes, i, i + marker.length, marker, 0, marker.length)) {
          return base + i;
        }
      }
      base += Math.max(1, n - marker.length + 1);
    }
    return -1;
  }

  private Parsed response(WarcResponse response, String location) throws IOException {
    if (!response.contentType().base().equals(MediaType.HTTP_RESPONSE.base())
        && !response.contentType().base().equals(MediaType.HTTP.base())) {
      return new Parsed.Skipped("response of type " + response.contentType().base());
    }
    HttpResponse http = response.http();
    String payloadType = http.contentType().base().toString().toLowerCase(Locale.ROOT);
    if (http.status() < 200 || http.status() >= 300) {
      return new Parsed.Skipped("HTTP " + http.status());
    }
    if (!payloadType.equals("text/html") && !payloadType.equals("application/xhtml+xml")) {
      return new Parsed.Skipped(payloadType);
    }
    byte[] body = read(http.bodyDecoded().stream());
    if (body.length > maxBytes) {
      return tooLarge(response, location);
    }
    Charset charset = charset(http.contentType().parameters().get("charset"));
    String html = new String(body, charset == null ? sniffCharset(body) : charset);
    HtmlText.Extracted page = HtmlText.extract(html, response.target());
    List<Multimodal.Element> elements = images ? elements(page) : List.of();
    Parsed.Rejected unusable =
        elements.isEmpty()
            ? JsonlFormat.checkText(page.text(), head(body), location, rejector)
            : null;
    if (unusable != null) {
      return unusable;
    }
    Map<String, String> attributes = attributes(response, location);
    attributes.put("http_status", Integer.toString(http.status()));
    attributes.put("content_type", payloadType);
    if (page.title() != null) {
      attributes.put("title", page.title());
    }
    if (page.language() != null) {
      attributes.put("html_lang", page.language());
    }
    if (!elements.isEmpty()) {
      return multimodal.build(
          elements,
          "",
          null,
          response.target(),
          response.date(),
          attributes,
          head(body),
          location,
          rejector);
    }
    return accepted(response, page.text(), attributes);
  }

  /**
   * The page's text and those of its images whose responses the file holds, in reading order; empty
   * when it holds none of them (the page is then text, as always).
   */
  private List<Multimodal.Element> elements(HtmlText.Extracted page) throws IOException {
    if (page.images().isEmpty()) {
      return List.of();
    }
    Map<String, Long> index = imageRecords();
    List<Multimodal.Element> elements = new ArrayList<>();
    int from = 0;
    boolean any = false;
    for (HtmlText.ImageLink link : page.images()) {
      Long position = index.get(link.url());
      if (position == null) {
        continue; // not captured with the page: a link, not an image of it
      }
      elements.add(new Multimodal.Text(page.text().substring(from, link.offset())));
      elements.add(imageAt(position, link));
      from = link.offset();
      any = true;
    }
    if (!any) {
      return List.of();
    }
    elements.add(new Multimodal.Text(page.text().substring(from)));
    return elements;
  }

  /**
   * Where each successful image response of the file is, by target URI: one pass over the file's
   * records, the first time a page has an image (a file of text pages alone costs nothing).
   */
  private Map<String, Long> imageRecords() {
    if (imageRecords != null) {
      return imageRecords;
    }
    imageRecords = new HashMap<>();
    try (FileChannel scan = FileChannel.open(file, StandardOpenOption.READ);
        WarcReader records = new WarcReader(scan)) {
      records.setLenient(true);
      for (WarcRecord record : records) {
        if (record instanceof WarcResponse response && imageRecords.size() < MAX_IMAGE_RECORDS) {
          try {
            HttpResponse http = response.http();
            if (http.status() >= 200
                && http.status() < 300
                && http.contentType().base().toString().startsWith("image/")) {
              imageRecords.putIfAbsent(response.target(), record.position());
            }
          } catch (IOException | RuntimeException notHttp) {
            // not an HTTP response: not an image of a page
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // a file broken further on: the images indexed before stand; the main pass reports the rest
    }
    return imageRecords;
  }

  /** The image of the response at {@code position}, read apart from the main pass. */
  private Multimodal.Picture imageAt(long position, HtmlText.ImageLink link) {
    long max = multimodal.check().limits().maxBytes();
    try (FileChannel at = FileChannel.open(file, StandardOpenOption.READ)) {
      at.position(position);
      WarcReader one = new WarcReader(at);
      one.setLenient(true);
      WarcRecord record = one.next().orElse(null);
      if (!(record instanceof WarcResponse response)) {
        return Multimodal.Picture.unreadable(
            "the image's record at " + position + " is gone", link.alt(), link.url(), link.url());
      }
      byte[] bytes =
          response.http().bodyDecoded().stream()
              .readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 8));
      if (bytes.length > max) {
        return new Multimodal.Picture(
            null,
            new dev.refinery.runtime.images.ImageCheck.Refusal(
                dev.refinery.runtime.images.ImageReasons.IMAGE_TOO_LARGE,
                link.url() + " is over " + max + " bytes",
                null,
                (double) max),
            link.alt(),
            link.url(),
            name + "@" + position);
      }
      return Multimodal.Picture.of(bytes, link.alt(), link.url(), name + "@" + position);
    } catch (IOException | RuntimeException e) {
      return Multimodal.Picture.unreadable(
          "cannot read the image's record at " + position + ": " + e.getMessage(),
          link.alt(),
          link.url(),
          name + "@" + position);
    }
  }

  private Parsed conversion(WarcConversion conversion, String location) throws IOException {
    byte[] body = read(conversion.body().stream());
    if (body.length > maxBytes) {
      return tooLarge(conversion, location);
    }
    String text;
    try {
      text = JsonlFormat.utf8(body).strip();
    } catch (java.nio.charset.CharacterCodingException e) {
      return rejector.reject(RejectReason.INVALID_UTF8, JsonlFormat.invalidUtf8(e), body, location);
    }
    Parsed.Rejected unusable = JsonlFormat.checkText(text, body, location, rejector);
    if (unusable != null) {
      return unusable;
    }
    Map<String, String> attributes = attributes(conversion, location);
    conversion.refersTo().ifPresent(id -> attributes.put("warc_refers_to", id.toString()));
    return accepted(conversion, text, attributes);
  }

  private Parsed accepted(WarcTargetRecord record, String text, Map<String, String> attributes) {
    return new Parsed.Accepted(
        JsonlFormat.document(
                rejector.source(), null, record.target(), record.date(), text, attributes)
            .setIngestedAt(rejector.clock().instant())
            .build());
  }

  private static Map<String, String> attributes(WarcRecord record, String location) {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("warc_record_id", record.id().toString());
    attributes.put("warc_type", record.type());
    attributes.put("origin", location);
    return attributes;
  }

  private Parsed tooLarge(WarcTargetRecord record, String location) {
    byte[] header = record.serializeHeader();
    return new Parsed.Rejected(
        rejector
            .rejection(
                RejectReason.DOCUMENT_TOO_LARGE,
                record.type()
                    + " payload of "
                    + record.target()
                    + " is over "
                    + IngestConfig.MAX_DOCUMENT_BYTES
                    + "="
                    + maxBytes
                    + " bytes",
                header,
                header.length,
                location)
            .setThreshold((double) maxBytes)
            .build());
  }

  /** Reads at most one byte more than the bound, so an oversized payload is seen, not buffered. */
  private byte[] read(InputStream body) throws IOException {
    return body.readNBytes(maxBytes + 1);
  }

  private static byte[] head(byte[] body) {
    return Arrays.copyOf(body, Math.min(body.length, 4096));
  }

  private static Charset charset(String name) {
    if (name == null) {
      return null;
    }
    try {
      return Charset.forName(name.strip().replace("\"", ""));
    } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
      return null;
    }
  }

  /** The charset a page declares in a meta tag, else UTF-8. */
  private static Charset sniffCharset(byte[] body) {
    String head =
        new String(body, 0, Math.min(body.length, 2048), StandardCharsets.ISO_8859_1)
            .toLowerCase(Locale.ROOT);
    int at = head.indexOf("charset=");
    if (at >= 0) {
      int start = at + "charset=".length();
      int end = start;
      while (end < head.length() && "\"' />;".indexOf(head.charAt(end)) < 0) {
        end++;
      }
      Charset declared = charset(head.substring(start, end).replace("\"", "").replace("'", ""));
      if (declared != null) {
        return declared;
      }
    }
    return StandardCharsets.UTF_8;
  }

  @Override
  public long bytesRead() {
    return declared;
  }

  @Override
  public long fileBytes() {
    return reader.position();
  }

  @Override
  public String position() {
    return name + "@" + reader.position();
  }

  @Override
  public byte[] unfinishedRecord() {
    return new byte[0];
  }

  @Override
  public void close() throws IOException {
    reader.close();
    channel.close();
  }
}
