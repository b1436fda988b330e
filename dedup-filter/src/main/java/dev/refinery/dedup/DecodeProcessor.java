package dev.refinery.dedup;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.RecordDecodeException;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import java.time.Instant;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Decodes a raw record. Bytes that do not decode are rejected as {@code UNDECODABLE} with their
 * topic, partition and offset, never thrown, so bad input cannot stop the stage.
 */
final class DecodeProcessor implements FixedKeyProcessor<String, byte[], Verdict> {
  private final int rejectedMaxBytes;
  private FixedKeyProcessorContext<String, Verdict> context;

  DecodeProcessor(int rejectedMaxBytes) {
    this.rejectedMaxBytes = rejectedMaxBytes;
  }

  @Override
  public void init(FixedKeyProcessorContext<String, Verdict> context) {
    this.context = context;
  }

  @Override
  public void process(FixedKeyRecord<String, byte[]> record) {
    String detail;
    try {
      Document doc = Topics.CORPUS_RAW.deserialize(record.value());
      if (doc != null) {
        context.forward(record.withValue(Verdict.accept(doc)));
        return;
      }
      detail = "null value (tombstone) on " + Topics.CORPUS_RAW.name();
    } catch (SerializationException e) {
      detail = e.getCause() instanceof RecordDecodeException d ? d.getMessage() : e.getMessage();
    }
    byte[] bytes = record.value() == null ? new byte[0] : record.value();
    String id = record.key() != null ? record.key() : DocumentIds.forBytes("unknown", bytes);
    String location =
        context
            .recordMetadata()
            .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
            .orElse(null);
    context.forward(
        record.withValue(
            Verdict.reject(
                Rejections.of(
                        id,
                        Stage.DEDUP_FILTER,
                        RejectReason.UNDECODABLE.name(),
                        detail,
                        bytes,
                        rejectedMaxBytes,
                        Instant.ofEpochMilli(context.currentSystemTimeMs()))
                    .setLocation(location)
                    .build())));
  }
}
