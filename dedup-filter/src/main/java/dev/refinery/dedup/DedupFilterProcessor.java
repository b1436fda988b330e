package dev.refinery.dedup;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exact deduplication across all history, then the quality rules. Records arrive keyed by the
 * fingerprint of their normalized text, so every copy of a text meets the same store, which maps a
 * fingerprint to the id of the first document that had it:
 *
 * <ul>
 *   <li>a new text is recorded, then judged by the rules: clean, or rejected by a rule;
 *   <li>the same document again (same id: a re-ingested file, or a record repeated in a source
 *       without ids) is a replay: it already ended somewhere, so it is dropped and counted;
 *   <li>another document with a recorded text is an {@code EXACT_DUPLICATE} of the first.
 * </ul>
 *
 * Deduplicating before the rules is what lets a replay of a rejected document be recognised.
 */
final class DedupFilterProcessor implements FixedKeyProcessor<String, Document, Verdict> {
  private static final Logger LOG = LoggerFactory.getLogger(DedupFilterProcessor.class);

  private final DedupFilterConfig config;
  private final DedupMetrics metrics;
  private FixedKeyProcessorContext<String, Verdict> context;
  private KeyValueStore<String, String> seen;

  DedupFilterProcessor(DedupFilterConfig config, DedupMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public void init(FixedKeyProcessorContext<String, Verdict> context) {
    this.context = context;
    this.seen = context.getStateStore(DedupFilterTopology.EXACT_STORE);
  }

  @Override
  public void process(FixedKeyRecord<String, Document> record) {
    String fingerprint = record.key();
    Document doc = record.value();
    String first = seen.get(fingerprint);
    if (first != null && first.equals(doc.getId())) {
      metrics.replay();
      LOG.debug("document {} seen again with the same text: a replay, dropped", doc.getId());
      return;
    }
    if (first != null) {
      RejectedDocument.Builder duplicate =
          rejection(
              doc,
              RejectReason.EXACT_DUPLICATE,
              "same normalized text as " + first + " (text hash " + fingerprint + ")");
      context.forward(record.withValue(Verdict.reject(duplicate.setDupOf(first).build())));
      return;
    }
    seen.put(fingerprint, doc.getId());
    QualitySignals signals = QualitySignals.of(doc.getText());
    if (signals.words() < config.minWords()) {
      RejectedDocument.Builder tooShort =
          rejection(
              doc,
              RejectReason.TOO_SHORT,
              signals.words()
                  + " words, fewer than "
                  + DedupFilterConfig.MIN_WORDS
                  + "="
                  + config.minWords());
      tooShort.setMeasured((double) signals.words()).setThreshold((double) config.minWords());
      context.forward(record.withValue(Verdict.reject(tooShort.build())));
      return;
    }
    doc.getSignals().putAll(signals.asMap());
    context.forward(record.withValue(Verdict.accept(doc)));
  }

  /** A rejection of a document, with the document as it arrived. */
  private RejectedDocument.Builder rejection(Document doc, RejectReason reason, String detail) {
    return Rejections.of(
            doc.getId(),
            Stage.DEDUP_FILTER,
            reason.name(),
            detail,
            Topics.CORPUS_RAW.serialize(doc),
            config.rejectedMaxBytes(),
            Instant.ofEpochMilli(context.currentSystemTimeMs()))
        .setSource(doc.getSource());
  }
}
