package dev.refinery.dedup;

import dev.refinery.schemas.Document;
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
    Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
    String first = seen.get(fingerprint);
    if (first != null && first.equals(doc.getId())) {
      metrics.replay();
      LOG.debug("document {} seen again with the same text: a replay, dropped", doc.getId());
      return;
    }
    if (first != null) {
      context.forward(
          record.withValue(
              Verdict.reject(
                  Rejections.of(
                          doc.getId(),
                          Stage.DEDUP_FILTER,
                          RejectReason.EXACT_DUPLICATE.name(),
                          "same normalized text as " + first + " (text hash " + fingerprint + ")",
                          Topics.CORPUS_RAW.serialize(doc),
                          config.rejectedMaxBytes(),
                          now)
                      .setDupOf(first)
                      .setSource(doc.getSource())
                      .build())));
      return;
    }
    seen.put(fingerprint, doc.getId());
    QualitySignals signals = QualitySignals.of(doc.getText());
    if (signals.words() < config.minWords()) {
      context.forward(
          record.withValue(
              Verdict.reject(
                  Rejections.of(
                          doc.getId(),
                          Stage.DEDUP_FILTER,
                          RejectReason.TOO_SHORT.name(),
                          signals.words()
                              + " words, fewer than "
                              + DedupFilterConfig.MIN_WORDS
                              + "="
                              + config.minWords(),
                          Topics.CORPUS_RAW.serialize(doc),
                          config.rejectedMaxBytes(),
                          now)
                      .setSource(doc.getSource())
                      .setMeasured((double) signals.words())
                      .setThreshold((double) config.minWords())
                      .build())));
      return;
    }
    doc.getSignals().putAll(signals.asMap());
    context.forward(record.withValue(Verdict.accept(doc)));
  }
}
