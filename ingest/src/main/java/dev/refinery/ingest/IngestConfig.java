package dev.refinery.ingest;

import dev.refinery.runtime.config.RefineryConfig;
import dev.refinery.runtime.http.ApiTokens;
import dev.refinery.runtime.http.HttpSettings;
import dev.refinery.runtime.images.ImageLimits;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of ingest ({@code ingest.*}, plus {@code bootstrap.servers}). */
public final class IngestConfig extends RefineryConfig {
  public static final String TEXT_FIELD = "ingest.jsonl.text.field";
  public static final String ID_FIELD = "ingest.jsonl.id.field";
  public static final String URL_FIELD = "ingest.jsonl.url.field";
  public static final String TIME_FIELD = "ingest.jsonl.time.field";
  public static final String ATTRIBUTE_FIELDS = "ingest.jsonl.attribute.fields";
  public static final String MAX_DOCUMENT_BYTES = "ingest.max.document.bytes";
  public static final String MAX_DECOMPRESSED_BYTES = "ingest.max.decompressed.bytes";
  public static final String MAX_COMPRESSION_RATIO = "ingest.max.compression.ratio";
  public static final String REJECTED_MAX_BYTES = "ingest." + RefineryConfig.REJECTED_MAX_BYTES;
  public static final String COMMIT_RECORDS = "ingest.commit.records";
  public static final String COMMIT_BYTES = "ingest.commit.bytes";
  public static final String TRANSACTION_TIMEOUT_MS = "ingest.transaction.timeout.ms";
  public static final String COMMIT_INTERVAL_MS = "ingest.commit.interval.ms";
  public static final String TRANSACTIONAL_ID = "ingest.transactional.id";
  public static final String CLIENT_ID = "ingest.client.id";
  public static final String HTTP_PORT = "ingest.http.port";
  public static final String HTTP_MAX_BODY_BYTES = "ingest.http.max.body.bytes";
  public static final String HTTP_WRITERS = "ingest.http.writers";
  public static final String WATCH_POLL_MS = "ingest.watch.poll.ms";
  public static final String WATCH_QUIET_MS = "ingest.watch.quiet.ms";
  public static final String IMAGE_MAX_BYTES = "ingest.image.max.bytes";
  public static final String IMAGE_MAX_SIDE = "ingest.image.max.side";
  public static final String IMAGE_MAX_PIXELS = "ingest.image.max.pixels";
  public static final String WARC_IMAGES = "ingest.warc.images";

  /** {@code ingest.token.<name>=<scopes>:<secret>}: a token of the service's HTTP API. */
  public static final String TOKEN_PREFIX = "ingest.token.";

  /** The scopes of its tokens: documents: POST /v1/sources/{source}/documents. */
  public static final Set<String> SCOPES = Set.of("documents");

  public static final ConfigDef DEFINITION =
      HttpSettings.define(
          withRejectedMaxBytes(withBootstrapServers(new ConfigDef()), "ingest.")
              .define(
                  TEXT_FIELD,
                  Type.LIST,
                  "text,raw_content",
                  Importance.HIGH,
                  "JSONL fields tried in order for the document text; a dotted path reaches into objects "
                      + "(meta.text). The default reads Dolma, RedPajama v1 (text) and v2 (raw_content).")
              .define(
                  ID_FIELD,
                  Type.LIST,
                  "id,doc_id",
                  Importance.MEDIUM,
                  "JSONL fields tried in order for the record id; with the source name it makes the doc "
                      + "id. Without one, the URL is the id, else the text.")
              .define(
                  URL_FIELD,
                  Type.LIST,
                  "url,metadata.url,meta.url",
                  Importance.MEDIUM,
                  "JSONL fields tried in order for the document URL.")
              .define(
                  TIME_FIELD,
                  Type.LIST,
                  "created,date,metadata.date_download,meta.timestamp,date_download",
                  Importance.LOW,
                  "JSONL fields tried in order for the fetch or creation time (ISO-8601, or epoch "
                      + "seconds or milliseconds).")
              .define(
                  ATTRIBUTE_FIELDS,
                  Type.LIST,
                  "title,source,added,lang,language,language_score,dump,token_count,score,int_score,"
                      + "metadata.*,meta.*",
                  Importance.LOW,
                  "JSONL fields passed through into the document's attributes; 'x.*' takes every scalar "
                      + "field of object x. At most 64 attributes, each cut at 1,024 characters.")
              .define(
                  MAX_DOCUMENT_BYTES,
                  Type.INT,
                  4 * 1024 * 1024,
                  Range.between(1024, 7 * 1024 * 1024),
                  Importance.MEDIUM,
                  "Largest input record (a JSONL line, a text file, a WARC payload) in bytes; larger ones "
                      + "are rejected as DOCUMENT_TOO_LARGE without being read into memory.")
              .define(
                  MAX_DECOMPRESSED_BYTES,
                  Type.LONG,
                  64L << 30,
                  Range.atLeast(1024L),
                  Importance.MEDIUM,
                  "Most bytes one compressed file may decompress to; beyond it the rest of the file is "
                      + "rejected as DECOMPRESSION_LIMIT (a decompression bomb).")
              .define(
                  MAX_COMPRESSION_RATIO,
                  Type.INT,
                  200,
                  Range.atLeast(2),
                  Importance.LOW,
                  "Most decompressed bytes per compressed byte, checked once a file has produced 64 MiB; "
                      + "text compresses 3-10x, a bomb 1,000x.")
              .define(
                  COMMIT_RECORDS,
                  Type.INT,
                  5_000,
                  Range.atLeast(1),
                  Importance.LOW,
                  "Input records per Kafka transaction: the documents and the file's progress are "
                      + "committed together, so a restart resumes where the last commit left off.")
              .define(
                  COMMIT_BYTES,
                  Type.INT,
                  32 * 1024 * 1024,
                  Range.atLeast(1024),
                  Importance.LOW,
                  "Input bytes per Kafka transaction, at most.")
              .define(
                  TRANSACTION_TIMEOUT_MS,
                  Type.INT,
                  300_000,
                  Range.between(10_000, 900_000),
                  Importance.LOW,
                  "How long the broker lets a transaction of ingest stay open before it aborts it: an ingest "
                      + "that dies in the middle of one holds read_committed readers of the partitions it wrote "
                      + "(dedup-filter) at its first record until then, unless the same ingest is run again, "
                      + "which aborts it at once. At most the brokers' transaction.max.timeout.ms (15 min).")
              .define(
                  COMMIT_INTERVAL_MS,
                  Type.LONG,
                  1_000L,
                  Range.atLeast(10L),
                  Importance.LOW,
                  "Longest time between commits: documents become visible downstream at each commit.")
              .define(
                  TRANSACTIONAL_ID,
                  Type.STRING,
                  "",
                  Importance.MEDIUM,
                  "Kafka transactional id of this ingest process. A restart with the same id fences and "
                      + "aborts what the crashed run left open. Empty: refinery-ingest-<source> for "
                      + "files, refinery-ingest-http for the HTTP endpoint (and its -1, -2 ... with "
                      + "ingest.http.writers). Two processes running at once need different ids.")
              .define(
                  HTTP_WRITERS,
                  Type.INT,
                  8,
                  Range.between(1, 64),
                  Importance.LOW,
                  "Kafka producers the HTTP endpoint writes pushed batches with, each batch in one "
                      + "transaction of one of them: concurrent pushes are written side by side, "
                      + "and wait for a free one when all are busy. Their transactional ids are "
                      + "the endpoint's id, then the same id followed by -1, -2 and so on; all are "
                      + "started with the service, so that it aborts at once what a crashed run left "
                      + "open on any of them. They share ingest's 128 MiB of producer buffers (16 "
                      + "MiB each at least) unless kafka.producer.buffer.memory is set.")
              .define(
                  CLIENT_ID,
                  Type.STRING,
                  "refinery-ingest",
                  Importance.LOW,
                  "Kafka client id of the producer.")
              .define(
                  WATCH_POLL_MS,
                  Type.LONG,
                  500L,
                  Range.atLeast(10L),
                  Importance.LOW,
                  "How often a watched folder is listed for new files.")
              .define(
                  WATCH_QUIET_MS,
                  Type.LONG,
                  FolderWatcher.DEFAULT_QUIET_MS,
                  Range.atLeast(0L),
                  Importance.LOW,
                  "How long a file in a watched folder must go unmodified before it is read. A"
                      + " file renamed into place (the convention) is read once its last write is"
                      + " this old; one copied or written in place is read once, whole, unless"
                      + " its writer pauses longer than this between writes. 0: read what each"
                      + " listing finds, which may be half a file written in place.")
              .define(
                  IMAGE_MAX_BYTES,
                  Type.INT,
                  (int) ImageLimits.DEFAULT.maxBytes(),
                  Range.between(1024, 7 * 1024 * 1024),
                  Importance.MEDIUM,
                  "Largest image in bytes, encoded; larger ones are refused as IMAGE_TOO_LARGE (the "
                      + "rest of their document goes on). Images are stored once each on "
                      + "corpus.images.v1, whose records take 8 MiB at most.")
              .define(
                  IMAGE_MAX_SIDE,
                  Type.INT,
                  ImageLimits.DEFAULT.maxWidth(),
                  Range.atLeast(1),
                  Importance.LOW,
                  "Widest or tallest image in pixels, read from its header before it is decoded; larger "
                      + "ones are refused as IMAGE_DIMENSIONS.")
              .define(
                  IMAGE_MAX_PIXELS,
                  Type.LONG,
                  ImageLimits.DEFAULT.maxPixels(),
                  Range.atLeast(1L),
                  Importance.LOW,
                  "Most pixels (width x height) of an image, read from its header before it is decoded: "
                      + "the default is Pillow's decompression-bomb limit. Larger ones are refused as "
                      + "IMAGE_PIXELS.")
              .define(
                  WARC_IMAGES,
                  Type.BOOLEAN,
                  true,
                  Importance.LOW,
                  "A WARC page's images whose responses the same file holds become images of its "
                      + "document. The file is then read once more, for where its images are, when "
                      + "its first page with an image comes; false reads pages as text alone."),
          "ingest.",
          "ingest HTTP service (push endpoint, /metrics, /health)",
          8470,
          false,
          64L * 1024 * 1024);

  private final ApiTokens tokens;

  public IngestConfig(Map<String, ?> values) {
    super(DEFINITION, values, "ingest.", Set.of(TOKEN_PREFIX));
    this.tokens = ApiTokens.parse(values, TOKEN_PREFIX, SCOPES);
  }

  public List<String> textFields() {
    return getList(TEXT_FIELD);
  }

  public List<String> idFields() {
    return getList(ID_FIELD);
  }

  public List<String> urlFields() {
    return getList(URL_FIELD);
  }

  public List<String> timeFields() {
    return getList(TIME_FIELD);
  }

  public List<String> attributeFields() {
    return getList(ATTRIBUTE_FIELDS);
  }

  public int maxDocumentBytes() {
    return getInt(MAX_DOCUMENT_BYTES);
  }

  public long maxDecompressedBytes() {
    return getLong(MAX_DECOMPRESSED_BYTES);
  }

  public int maxCompressionRatio() {
    return getInt(MAX_COMPRESSION_RATIO);
  }

  public int commitRecords() {
    return getInt(COMMIT_RECORDS);
  }

  public int commitBytes() {
    return getInt(COMMIT_BYTES);
  }

  public int transactionTimeoutMs() {
    return getInt(TRANSACTION_TIMEOUT_MS);
  }

  public long commitIntervalMs() {
    return getLong(COMMIT_INTERVAL_MS);
  }

  /** The configured transactional id, or {@code fallback} when none is. */
  public String transactionalId(String fallback) {
    String id = getString(TRANSACTIONAL_ID);
    return id == null || id.isBlank() ? fallback : id;
  }

  /** How many producers the HTTP endpoint writes pushed batches with. */
  public int httpWriters() {
    return getInt(HTTP_WRITERS);
  }

  public String clientId() {
    return getString(CLIENT_ID);
  }

  public int httpPort() {
    return getInt(HTTP_PORT);
  }

  /** Where and how the HTTP service listens. */
  public HttpSettings http() {
    return HttpSettings.from(this, "ingest.");
  }

  public long httpMaxBodyBytes() {
    return getLong(HTTP_MAX_BODY_BYTES);
  }

  public long watchPollMs() {
    return getLong(WATCH_POLL_MS);
  }

  public long watchQuietMs() {
    return getLong(WATCH_QUIET_MS);
  }

  public boolean warcImages() {
    return getBoolean(WARC_IMAGES);
  }

  /** The bounds every image is checked against before it is decoded. */
  public ImageLimits imageLimits() {
    return new ImageLimits(
        getInt(IMAGE_MAX_BYTES),
        getInt(IMAGE_MAX_SIDE),
        getInt(IMAGE_MAX_SIDE),
        getLong(IMAGE_MAX_PIXELS));
  }

  /** The tokens of the service's HTTP API. */
  public ApiTokens tokens() {
    return tokens;
  }
}
