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
 * Decodes a raw record and applies the per-document rules. Bytes that do not decode are rejected as
 * {@code UNDECODABLE} with their topic, partition and offset, never thrown, so bad input cannot stop
 * the stage.
 */
final class CheckProcessor implements FixedKeyProcessor<String, byte[], Verdict> {
  private final DedupFilterConfig config;
  private FixedKeyProcessorContext<String, Verdict> context;

  CheckProcessor(DedupFilterConfig config) {
    this.config = config;
  }

  @Override
  public void init(FixedKeyProcessorContext<String, Verdict> context) {
    this.context = context;
  }

  @Override
  public void process(FixedKeyRecord<String, byte[]> record) {
    byte[] bytes = record.value() == null ? new byte[0] : record.value();
    Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
    Document doc;
    try {
      doc = Topics.CORPUS_RAW.deserialize(record.value());
    } catch (SerializationException e) {
      doc = null;
      String reason = e.getCause() instanceof RecordDecodeException d ? d.getMessage() : e.getMessage();
      String id = record.key() != null ? record.key() : DocumentIds.forBytes("unknown", bytes);
      context.forward(record.withValue(Verdict.reject(Rejections.of(id, Stage.DEDUP_FILTER,
              RejectReason.UNDECODABLE.name(), reason, bytes, config.rejectedMaxBytes(), now)
          .setLocation(location())
          .build())));
      return;
    }
    if (doc == null) {
      String id = record.key() != null ? record.key() : "null";
      context.forward(record.withValue(Verdict.reject(Rejections.of(id, Stage.DEDUP_FILTER,
              RejectReason.UNDECODABLE.name(), "null value (tombstone) on " + Topics.CORPUS_RAW.name(),
              bytes, config.rejectedMaxBytes(), now)
          .setLocation(location())
          .build())));
      return;
    }
    QualitySignals signals = QualitySignals.of(doc.getText());
    if (signals.words() < config.minWords()) {
      context.forward(record.withValue(Verdict.reject(Rejections.of(doc.getId(), Stage.DEDUP_FILTER,
              RejectReason.TOO_SHORT.name(), signals.words() + " words, fewer than " + DedupFilterConfig.MIN_WORDS
                  + "=" + config.minWords(), bytes, config.rejectedMaxBytes(), now)
          .setSource(doc.getSource())
          .setMeasured((double) signals.words())
          .setThreshold((double) config.minWords())
          .setLocation(location())
          .build())));
      return;
    }
    doc.getSignals().putAll(signals.asMap());
    context.forward(record.withValue(Verdict.accept(doc)));
  }

  private String location() {
    return context.recordMetadata()
        .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
        .orElse(null);
  }
}
