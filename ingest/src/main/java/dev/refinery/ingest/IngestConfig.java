package dev.refinery.ingest;

import dev.refinery.config.RefineryConfig;
import java.util.List;
import java.util.Map;
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
  public static final String REJECTED_MAX_BYTES = "ingest." + RefineryConfig.REJECTED_MAX_BYTES;
  public static final String CLIENT_ID = "ingest.client.id";

  public static final ConfigDef DEFINITION =
      withRejectedMaxBytes(withBootstrapServers(new ConfigDef()), "ingest.")
          .define(
              TEXT_FIELD,
              Type.STRING,
              "text",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "JSONL field holding the document text; a dotted path reaches into objects (meta.text).")
          .define(
              ID_FIELD,
              Type.STRING,
              "id",
              Importance.MEDIUM,
              "JSONL field holding the record id; with the source name it makes the doc id. Empty: none.")
          .define(
              URL_FIELD,
              Type.LIST,
              "url,metadata.url,meta.url",
              Importance.MEDIUM,
              "JSONL fields tried in order for the document URL.")
          .define(
              TIME_FIELD,
              Type.LIST,
              "created,metadata.date_download,meta.timestamp",
              Importance.LOW,
              "JSONL fields tried in order for the fetch or creation time (ISO-8601, or epoch seconds).")
          .define(
              ATTRIBUTE_FIELDS,
              Type.LIST,
              "title,metadata.title,language,metadata.language,meta.language",
              Importance.LOW,
              "JSONL fields copied into the document's attributes when present.")
          .define(
              MAX_DOCUMENT_BYTES,
              Type.INT,
              4 * 1024 * 1024,
              Range.between(1024, 7 * 1024 * 1024),
              Importance.MEDIUM,
              "Largest input record (a JSONL line) in bytes; larger ones are rejected "
                  + "as DOCUMENT_TOO_LARGE without being read into memory.")
          .define(
              CLIENT_ID,
              Type.STRING,
              "refinery-ingest",
              Importance.LOW,
              "Kafka client id of the producer.");

  public IngestConfig(Map<String, ?> values) {
    super(DEFINITION, values, "ingest.");
  }

  public String textField() {
    return getString(TEXT_FIELD);
  }

  public String idField() {
    return getString(ID_FIELD);
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

  public String clientId() {
    return getString(CLIENT_ID);
  }
}
