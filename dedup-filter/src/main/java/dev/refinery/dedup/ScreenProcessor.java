package dev.refinery.dedup;

import dev.refinery.dedup.rules.Rejection;
import dev.refinery.dedup.rules.RuleSet;
import dev.refinery.dedup.rules.Screened;
import dev.refinery.runtime.images.PerceptualHash;
import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.ImageRef;
import dev.refinery.schemas.RecordDecodeException;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Everything dedup-filter decides about a document alone: decoding (bad bytes are {@code
 * UNDECODABLE}, never thrown), takedowns, and the rules of its source; then its keys, each sent to
 * the task of its key (the keys of one task together, a {@link KeyBatch}): the exact fingerprint,
 * the URL if asked, the MinHash bands, the replay key, and its images' hashes and bands. The
 * document, or its rejection, goes to its gathering step, which decides once the answers are in: a
 * replay of a rejected document is dropped like any replay.
 */
final class ScreenProcessor implements Processor<String, byte[], String, Routed> {
  private final DedupFilterConfig config;
  private final RuleSet rules;
  private final MinHasher minHasher;
  private final DedupMetrics metrics;
  private final int keyPartitions;
  private final DedupFilterTopology.RawReadAt readAt;
  private ProcessorContext<String, Routed> context;
  private KeyValueStore<String, Takedown> takedowns;
  private Takedowns.Store takedownStore;

  /** The offset after the last raw record this task read since it started; -1 before one. */
  private long next = -1;

  /** The moment of the last {@link ReadMark} this task sent. */
  private long marked = Long.MIN_VALUE;

  private final Punctuations punctuations = new Punctuations();

  /**
   * @param keyPartitions the partitions of {@code dedup-by-key}, over which a document's keys are
   *     grouped into {@link KeyBatch}es
   * @param readAt when the task's raw partition had been read to its end, for its {@link ReadMark}s
   */
  ScreenProcessor(
      DedupFilterConfig config,
      RuleSet rules,
      DedupMetrics metrics,
      int keyPartitions,
      DedupFilterTopology.RawReadAt readAt) {
    this.config = config;
    this.keyPartitions = keyPartitions;
    this.readAt = readAt;
    this.rules = rules;
    this.metrics = metrics;
    this.minHasher = new MinHasher(config.ngram(), config.bands(), config.rows(), config.seed());
  }

  @Override
  public void init(ProcessorContext<String, Routed> context) {
    this.context = context;
    this.takedowns = context.getStateStore(DedupFilterTopology.TAKEDOWN_STORE);
    this.takedownStore =
        new Takedowns.Store() {
          @Override
          public Takedown get(String key) {
            return takedowns.get(key);
          }

          @Override
          public Iterable<Takedown> range(String from, String to) {
            List<Takedown> found = new ArrayList<>();
            try (var it = takedowns.range(from, to)) {
              it.forEachRemaining(kv -> found.add(kv.value));
            }
            return found;
          }
        };
    this.next = -1;
    this.marked = Long.MIN_VALUE;
    punctuations.cancelAll();
    if (config.holdMs() > 0 && config.readMarks()) {
      // as often as a bucket task looks at its held answers
      punctuations.schedule(context, BucketProcessor.passInterval(config.holdMs()), this::mark);
    }
  }

  @Override
  public void close() {
    punctuations.cancelAll();
  }

  /**
   * Tells every bucket task that this task's raw partition has been read to its end, when it has
   * been since the last mark: behind every key this task sent, so a task that sees the mark has
   * seen them ({@link ReadProgress}).
   */
  void mark(long now) {
    int partition = context.taskId().partition();
    long at = readAt.readAt(partition, next, now);
    if (at > marked) {
      marked = at;
      context.forward(
          new Record<>(
              ReadMark.RECORD_KEY,
              new Routed.ToKey(new ReadMark(partition, at).toBytes()),
              Math.min(at, now)));
    }
  }

  @Override
  public void process(Record<String, byte[]> record) {
    metrics.in();
    context.recordMetadata().ifPresent(m -> next = m.offset() + 1);
    byte[] bytes = record.value() == null ? new byte[0] : record.value();
    String instance =
        context.recordMetadata().map(m -> m.partition() + ":" + m.offset()).orElse("0:0");
    String location =
        context
            .recordMetadata()
            .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
            .orElse(null);
    Document doc = decode(record, bytes, location);
    if (doc == null) {
      return;
    }
    Instant eventTime = doc.getFetchedAt() != null ? doc.getFetchedAt() : doc.getIngestedAt();
    long at = eventTime.toEpochMilli();
    String gatherKey = doc.getId() + "@" + instance;
    // the replay key is of this document's id with its text as it arrived
    String arrived = doc.getText();

    Takedown takedown = Takedowns.match(doc, takedownStore);
    Outcome screened = takedown != null ? null : screen(doc);
    Optional<Rejection> rejection =
        takedown != null ? Optional.of(takedownRejection(takedown)) : screened.rejection();
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
      forward(
          gatherKey,
          new Gather.Doc(1, new byte[0], Topics.CORPUS_REJECTED.serialize(rejected)),
          List.of(replayKey(TextFingerprint.of(doc.getId(), arrived))),
          new Member(at, doc.getId(), instance),
          record.timestamp());
      return;
    }
    doc.setText(ImageMarkers.place(doc, screened.document().text()));
    if (doc.getMessages() != null) {
      redactTurns(doc);
    }
    doc.getSignals().put("chars", (double) doc.getText().length());
    // counted, not made: a rule that rewrote the text (C4's line cleaning) dropped its words, and
    // making them again for their number was 2.8 % of the stream thread (bench/run pipeline, a
    // profile); FineWeb's rule has mostly counted them since
    doc.getSignals().put("words", (double) screened.document().wordCount());
    List<byte[]> refusedImages = new ArrayList<>();
    if (!doc.getImages().isEmpty()) {
      RejectedDocument whole = screenImages(doc, location, refusedImages);
      if (whole != null) {
        forward(
            gatherKey,
            new Gather.Doc(1, new byte[0], Topics.CORPUS_REJECTED.serialize(whole)),
            List.of(replayKey(TextFingerprint.of(doc.getId(), arrived))),
            new Member(at, doc.getId(), instance),
            record.timestamp());
        return;
      }
    }

    // a document's images are part of what makes it the same as another
    String content = doc.getText() + ImageMarkers.tokens(doc);
    // a text that normalizes as it came is normalized once for both: one the rules left as it was,
    // or only cleaned of white space (C4's cleaning of a page of prose and blank lines), but not a
    // conversation's turns joined again nor a document with images
    TextFingerprint.TextAndReplay fingerprints =
        content.equals(arrived)
                || (screened.document().normalizesAsCreated()
                    && doc.getImages().isEmpty()
                    && doc.getMessages() == null)
            ? TextFingerprint.ofTextAndReplay(doc.getId(), content)
            : new TextFingerprint.TextAndReplay(
                TextFingerprint.of(content), TextFingerprint.of(doc.getId(), arrived));
    String fingerprint = fingerprints.text();
    // a screened document's keys carry its text hash: a copy found by any key is named exact
    Member member = new Member(at, doc.getId(), instance, TextFingerprint.hash64(fingerprint));
    List<DedupKey> keys = keys(doc, content, fingerprint);
    keys.add(replayKey(fingerprints.replay()));
    List<Member> members = new ArrayList<>(Collections.nCopies(keys.size(), member));
    for (ImageRef image : doc.getImages()) {
      Member holder = member.image(image.getIndex(), image.getPhash());
      keys.add(new DedupKey(DedupKey.Kind.IMAGE, 0, image.getSha256()));
      members.add(holder);
      for (long band : PerceptualHash.bands(image.getPhash(), config.imageBands())) {
        keys.add(
            new DedupKey(
                DedupKey.Kind.IMAGE_BAND,
                (int) (band >>> 56),
                HexFormat.of().toHexDigits(band & 0x00FF_FFFF_FFFF_FFFFL)));
        members.add(holder);
      }
    }
    context.forward(
        new Record<>(
            gatherKey,
            new Routed.ToGather(
                Gather.encode(
                    new Gather.Doc(
                        keys.size(),
                        Topics.CORPUS_RAW.serialize(doc),
                        new byte[0],
                        refusedImages))),
            record.timestamp()));
    toKeys(keys, members, record.timestamp());
  }

  /** Each key to its task: in {@link KeyBatch}es, one a partition, or one record a key. */
  private void toKeys(List<DedupKey> keys, List<Member> members, long timestamp) {
    if (config.keyBatches()) {
      for (KeyBatch batch : KeyBatch.group(keys, members, keyPartitions)) {
        context.forward(
            new Record<>(batch.recordKey(), new Routed.ToKey(batch.toBytes()), timestamp));
      }
      return;
    }
    Map<Member, byte[]> encoded = new IdentityHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      byte[] member = encoded.computeIfAbsent(members.get(i), Member::toBytes);
      context.forward(new Record<>(keys.get(i).encode(), new Routed.ToKey(member), timestamp));
    }
  }

  /**
   * Applies the image rules (minimum side, aspect ratio): a refused image leaves the document, its
   * refusal goes into {@code refused}.
   *
   * @return the rejection of the whole document when it is left with neither text nor image
   */
  private RejectedDocument screenImages(Document doc, String location, List<byte[]> refused) {
    List<ImageRef> kept = new ArrayList<>();
    Rejection last = null;
    for (ImageRef image : doc.getImages()) {
      Rejection rejection = ImageRules.check(image, config);
      if (rejection == null) {
        kept.add(image);
        continue;
      }
      last = rejection;
      refused.add(
          Topics.CORPUS_REJECTED.serialize(
              rejection(doc.getId(), doc, rejection, new byte[0], location)
                  .setImageIndex(image.getIndex())
                  .setImageSha256(image.getSha256())
                  .build()));
    }
    if (kept.isEmpty() && doc.getText().isBlank()) {
      // counted when its gathering step decides it, as any rejection of this step
      return rejection(
              doc.getId(),
              doc,
              new Rejection(
                  last.rule(),
                  last.reason(),
                  "no text, and no image passes: " + last.detail(),
                  last.measured(),
                  last.threshold()),
              Topics.CORPUS_RAW.serialize(doc),
              location)
          .build();
    }
    doc.setImages(kept);
    return null;
  }

  /**
   * The document of a raw record; {@code null} when the bytes are not one, after rejecting them as
   * {@code UNDECODABLE}.
   */
  private Document decode(Record<String, byte[]> record, byte[] bytes, String location) {
    String undecodable;
    try {
      Document doc = Topics.CORPUS_RAW.deserialize(record.value());
      if (doc != null) {
        return doc;
      }
      undecodable = "null value (tombstone) on " + Topics.CORPUS_RAW.name();
    } catch (SerializationException e) {
      undecodable =
          e.getCause() instanceof RecordDecodeException d ? d.getMessage() : e.getMessage();
    }
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
    return null;
  }

  /** A document as the rules left it, and their rejection if any. */
  private record Outcome(Screened document, Optional<Rejection> rejection) {}

  /** Applies the rules of the document's source; their signals and attributes go on it. */
  private Outcome screen(Document doc) {
    // images stand in the text as markers while the rules run, so that an edit (a redaction, a
    // dropped line) moves them with it
    Screened screened =
        new Screened(ImageMarkers.insert(doc), doc.getUrl(), doc.getSource().getName());
    Optional<Rejection> rejection =
        rules.screen(screened, doc.getSource().getKind(), !doc.getImages().isEmpty());
    doc.getAttributes().putAll(screened.attributes());
    doc.getSignals().putAll(screened.signals());
    return new Outcome(screened, rejection);
  }

  /**
   * A conversation's turns get the same PII redaction its text got, turn by turn, and its text is
   * their contents joined again, so what is tokenized is what was screened. Rules that drop lines
   * (C4) do not cut into turns.
   */
  private void redactTurns(Document doc) {
    dev.refinery.dedup.rules.Rule pii = null;
    for (dev.refinery.dedup.rules.Rule r :
        rules.rulesFor(doc.getSource().getName(), doc.getSource().getKind())) {
      if (r instanceof dev.refinery.dedup.rules.PiiRedactor) {
        pii = r;
      }
    }
    List<dev.refinery.schemas.Message> turns = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (dev.refinery.schemas.Message m : doc.getMessages()) {
      String content = m.getContent();
      if (pii != null && !content.isEmpty()) {
        Screened turn = new Screened(content, doc.getUrl(), doc.getSource().getName());
        pii.apply(turn);
        content = turn.text();
      }
      turns.add(new dev.refinery.schemas.Message(m.getRole(), content));
      if (!content.isBlank()) {
        text.append(text.length() == 0 ? "" : "\n\n").append(content);
      }
    }
    doc.setMessages(turns);
    doc.setText(text.toString());
  }

  private static Rejection takedownRejection(Takedown takedown) {
    return new Rejection(
        "takedown",
        RejectReason.TAKEDOWN.name(),
        "covered by takedown " + Takedowns.key(takedown) + ": " + takedown.getReason(),
        null,
        null);
  }

  /** The document (or its rejection) to its gathering step, and the member to each key's task. */
  private void forward(
      String gatherKey, Gather.Doc doc, List<DedupKey> keys, Member member, long timestamp) {
    context.forward(new Record<>(gatherKey, new Routed.ToGather(Gather.encode(doc)), timestamp));
    toKeys(keys, Collections.nCopies(keys.size(), member), timestamp);
  }

  /**
   * The replay key of a document: the fingerprint of its id with its text as it arrived ({@link
   * TextFingerprint#of(String, String)}).
   */
  private static DedupKey replayKey(String fingerprint) {
    return new DedupKey(DedupKey.Kind.ID, 0, fingerprint);
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
