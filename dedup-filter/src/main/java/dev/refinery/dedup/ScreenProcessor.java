package dev.refinery.dedup;

import dev.refinery.dedup.rules.Rejection;
import dev.refinery.dedup.rules.RuleSet;
import dev.refinery.dedup.rules.Screened;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.RecordDecodeException;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Everything dedup-filter decides about a document alone: decoding (bad bytes are {@code
 * UNDECODABLE}, never thrown), takedowns, and the rules of its source; then its keys, each sent to
 * the task of its key: the exact fingerprint, the URL if asked, the MinHash bands, and the replay
 * key. The document, or its rejection, goes to its gathering step, which decides once the answers
 * are in: a replay of a rejected document is dropped like any replay.
 */
final class ScreenProcessor implements Processor<String, byte[], String, Routed> {
  private final DedupFilterConfig config;
  private final RuleSet rules;
  private final MinHasher minHasher;
  private final DedupMetrics metrics;
  private ProcessorContext<String, Routed> context;
  private KeyValueStore<String, Takedown> takedowns;

  ScreenProcessor(DedupFilterConfig config, RuleSet rules, DedupMetrics metrics) {
    this.config = config;
    this.rules = rules;
    this.metrics = metrics;
    this.minHasher = new MinHasher(config.ngram(), config.bands(), config.rows(), config.seed());
  }

  @Override
  public void init(ProcessorContext<String, Routed> context) {
    this.context = context;
    this.takedowns = context.getStateStore(DedupFilterTopology.TAKEDOWN_STORE);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    metrics.in();
    byte[] bytes = record.value() == null ? new byte[0] : record.value();
    String instance =
        context.recordMetadata().map(m -> m.partition() + ":" + m.offset()).orElse("0:0");
    String location =
        context
            .recordMetadata()
            .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
            .orElse(null);
    Document doc;
    String undecodable;
    try {
      doc = Topics.CORPUS_RAW.deserialize(record.value());
      undecodable = doc == null ? "null value (tombstone) on " + Topics.CORPUS_RAW.name() : null;
    } catch (SerializationException e) {
      doc = null;
      undecodable =
          e.getCause() instanceof RecordDecodeException d ? d.getMessage() : e.getMessage();
    }
    if (doc == null) {
      String id = record.key() != null ? record.key() : DocumentIds.forBytes("unknown", bytes);
      RejectedDocument rejected =
          rejection(
                  id,
                  null,
                  new Rejection(null, RejectReason.UNDECODABLE.name(), undecodable, null, null),
                  bytes,
                  location)
              .build();
      metrics.rejected(null, rejected.getReason());
      context.forward(record.withKey(id).withValue(new Routed.Rejected(rejected)));
      return;
    }

    Instant eventTime = doc.getFetchedAt() != null ? doc.getFetchedAt() : doc.getIngestedAt();
    byte[] member = new Member(eventTime.toEpochMilli(), doc.getId(), instance).toBytes();
    long at = eventTime.toEpochMilli();
    String gatherKey = doc.getId() + "@" + instance;
    // the replay key: this document's id with its text as it arrived
    DedupKey replayKey =
        new DedupKey(DedupKey.Kind.ID, 0, TextFingerprint.of(doc.getId() + "\n" + doc.getText()));

    Takedown takedown = Takedowns.match(doc, takedowns::get);
    Optional<Rejection> rejection;
    Screened screened = null;
    if (takedown != null) {
      rejection =
          Optional.of(
              new Rejection(
                  "takedown",
                  RejectReason.TAKEDOWN.name(),
                  "covered by takedown " + Takedowns.key(takedown) + ": " + takedown.getReason(),
                  null,
                  null));
    } else {
      screened = new Screened(doc.getText(), doc.getUrl(), doc.getSource().getName());
      rejection = rules.screen(screened, doc.getSource().getKind());
      doc.getAttributes().putAll(screened.attributes());
      doc.getSignals().putAll(screened.signals());
    }
    if (rejection.isPresent()) {
      // rejected here, but a replay of a rejected document is not rejected twice: it waits for its
      // replay key like any other
      RejectedDocument rejected =
          rejection(
                  doc.getId(),
                  doc,
                  rejection.get(),
                  takedown != null ? bytes : Topics.CORPUS_RAW.serialize(doc),
                  location)
              .build();
      context.forward(
          new Record<>(
              gatherKey,
              new Routed.ToGather(
                  Gather.encode(
                      new Gather.Doc(1, new byte[0], Topics.CORPUS_REJECTED.serialize(rejected)))),
              record.timestamp()));
      context.forward(
          new Record<>(replayKey.encode(), new Routed.ToKey(member), record.timestamp()));
      return;
    }
    doc.setText(screened.text());
    doc.getSignals().put("chars", (double) screened.text().length());
    doc.getSignals().put("words", (double) screened.words().size());

    String fingerprint = TextFingerprint.of(screened.text());
    List<DedupKey> keys = keys(doc, screened.text(), fingerprint);
    keys.add(replayKey);
    // a screened document's keys carry its text hash: a copy found by any key is named exact
    byte[] withText =
        new Member(at, doc.getId(), instance, TextFingerprint.hash64(fingerprint)).toBytes();
    context.forward(
        new Record<>(
            gatherKey,
            new Routed.ToGather(
                Gather.encode(
                    new Gather.Doc(keys.size(), Topics.CORPUS_RAW.serialize(doc), new byte[0]))),
            record.timestamp()));
    for (DedupKey key : keys) {
      context.forward(new Record<>(key.encode(), new Routed.ToKey(withText), record.timestamp()));
    }
  }

  /** The exact fingerprint, the normalized URL if URL dedup is on, and one key per MinHash band. */
  private List<DedupKey> keys(Document doc, String text, String fingerprint) {
    List<DedupKey> keys = new ArrayList<>(config.bands() + 2);
    keys.add(new DedupKey(DedupKey.Kind.EXACT, 0, fingerprint));
    if (config.urlDedup() && doc.getUrl() != null) {
      keys.add(
          new DedupKey(
              DedupKey.Kind.URL, 0, TextFingerprint.of(Takedowns.normalize(doc.getUrl()))));
    }
    long[] bands = minHasher.bandHashes(minHasher.signature(text));
    for (int b = 0; b < bands.length; b++) {
      keys.add(DedupKey.band(b, bands[b]));
    }
    return keys;
  }

  private RejectedDocument.Builder rejection(
      String id, Document doc, Rejection rejection, byte[] original, String location) {
    RejectedDocument.Builder builder =
        Rejections.of(
                id,
                Stage.DEDUP_FILTER,
                rejection.reason(),
                rejection.detail(),
                original,
                config.rejectedMaxBytes(),
                Instant.ofEpochMilli(context.currentSystemTimeMs()))
            .setRule(rejection.rule())
            .setMeasured(rejection.measured())
            .setThreshold(rejection.threshold())
            .setLocation(location);
    if (doc != null) {
      builder.setSource(doc.getSource());
    }
    return builder;
  }
}
