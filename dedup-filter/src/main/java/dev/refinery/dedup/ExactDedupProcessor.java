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
 * Exact deduplication across all history. Records arrive keyed by the fingerprint of their
 * normalized text, so every copy of a text meets the same store; the store maps a fingerprint to the
 * id of the first document that had it. A later document with that text is an {@code
 * EXACT_DUPLICATE} of it. The same document again (same id: a re-ingested file) is a replay and is
 * dropped, since it has already gone through.
 */
final class ExactDedupProcessor implements FixedKeyProcessor<String, Document, Verdict> {
  private static final Logger LOG = LoggerFactory.getLogger(ExactDedupProcessor.class);

  private final DedupFilterConfig config;
  private final DedupMetrics metrics;
  private FixedKeyProcessorContext<String, Verdict> context;
  private KeyValueStore<String, String> seen;

  ExactDedupProcessor(DedupFilterConfig config, DedupMetrics metrics) {
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
    if (first == null) {
      seen.put(fingerprint, doc.getId());
      context.forward(record.withValue(Verdict.accept(doc)));
    } else if (first.equals(doc.getId())) {
      metrics.replay();
      LOG.debug("document {} seen again with the same text: a replay, dropped", doc.getId());
    } else {
      byte[] original = Topics.CORPUS_RAW.serialize(doc);
      context.forward(record.withValue(Verdict.reject(Rejections.of(doc.getId(), Stage.DEDUP_FILTER,
              RejectReason.EXACT_DUPLICATE.name(), "same normalized text as " + first + " (text hash "
                  + fingerprint + ")", original, config.rejectedMaxBytes(),
              Instant.ofEpochMilli(context.currentSystemTimeMs()))
          .setDupOf(first)
          .setSource(doc.getSource())
          .build())));
    }
  }
}
