package dev.refinery.bridge;

import dev.refinery.runtime.kafka.TopicSnapshot;
import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.DataCheckpoint;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Licences;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.TakedownScope;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;

/**
 * What a run consumed up to a step: which batches (from its newest checkpoint's cursor, which holds
 * the seed, the weights and every world size it ran with), and through their spans which documents,
 * sources and licences; and which of those steps hold a document under takedown.
 */
public final class Lineage {
  /** A document under takedown inside a step the run trained on. */
  public record Hit(
      long step,
      int rank,
      String batchId,
      String docId,
      String source,
      String takedown,
      String reason) {}

  /** The answer. */
  public record Report(
      String runId,
      long step,
      long checkpointStep,
      List<Cursor.Segment> segments,
      Map<String, Long> batches,
      long documents,
      long tokens,
      Map<String, Long> tokensBySource,
      Map<String, Long> tokensByLicence,
      Map<String, Long> imagesBySource,
      Map<String, Long> imagesByLicence,
      Set<String> documentIds,
      List<Hit> takedownHits,
      int urlTakedownsNotChecked,
      long missingBatches) {}

  private Lineage() {}

  /**
   * @param step the run's steps before this one are reported; {@code -1} for up to its newest
   *     checkpoint
   * @throws IllegalArgumentException if the run has no checkpoint on trainer.checkpoints.v1
   */
  public static Report of(BridgeConfig config, String runId, long step, Consumer<String> progress) {
    Duration timeout = Duration.ofMinutes(2);
    DataCheckpoint newest = null;
    for (var e : TopicSnapshot.read(config.kafka(), Topics.TRAINER_CHECKPOINTS, timeout)) {
      DataCheckpoint d = e.value();
      if (d != null
          && d.getRunId().equals(runId)
          && (newest == null || d.getStep() > newest.getStep())) {
        newest = d;
      }
    }
    if (newest == null) {
      throw new IllegalArgumentException(
          "run '"
              + runId
              + "' has no checkpoint on "
              + Topics.TRAINER_CHECKPOINTS.name()
              + ": its rank 0 records one at every checkpoint(step)");
    }
    byte[] bytes = new byte[newest.getCursor().remaining()];
    newest.getCursor().duplicate().get(bytes);
    Cursor cursor = Cursor.decode(bytes);
    long upTo = step < 0 ? cursor.step() : step;
    Mixture mixture = new Mixture(cursor.seed(), cursor.weights());
    List<Cursor.Segment> segments = cursor.segments();
    long endItem = Cursor.itemOf(segments, upTo, 0);

    // where each stream started: the cursor's counts less the draws before its item
    long[] draws = new RankPlan.Walk(mixture, 0, new long[mixture.size()]).advanceTo(cursor.item());
    long[] base = new long[mixture.size()];
    for (int s = 0; s < mixture.size(); s++) {
      base[s] = cursor.consumed().getOrDefault(mixture.stream(s), 0L) - draws[s];
    }
    long[] end = new RankPlan.Walk(mixture, 0, base).advanceTo(endItem);

    java.util.NavigableMap<String, Takedown> takedowns = new java.util.TreeMap<>();
    for (var e : TopicSnapshot.read(config.kafka(), Topics.CORPUS_TAKEDOWNS, timeout)) {
      if (e.raw() == null) {
        takedowns.remove(Takedowns.normalizeKey(e.key())); // withdrawn
      } else if (e.value() != null) {
        takedowns.put(Takedowns.key(e.value()), e.value());
      }
    }
    int urlTakedowns =
        (int)
            takedowns.values().stream()
                .filter(t -> t.getScope() == TakedownScope.URL_PREFIX)
                .count();
    Takedowns.Store store = Takedowns.Store.of(takedowns);
    long[] spansWithoutUrl = {0};

    Map<String, Long> batches = new TreeMap<>();
    Set<String> documents = new HashSet<>();
    Map<String, Long> bySourceTokens = new TreeMap<>();
    Map<String, Long> byLicenceTokens = new TreeMap<>();
    Map<String, Long> bySourceImages = new TreeMap<>();
    Map<String, Long> byLicenceImages = new TreeMap<>();
    long tokens = 0;
    long missing = 0;
    // (stream, index) of batches with a taken-down document, to place on steps afterwards
    Map<Integer, Map<Long, List<String[]>>> flagged = new HashMap<>();
    for (int s = 0; s < mixture.size(); s++) {
      String stream = mixture.stream(s);
      long from = base[s];
      long to = end[s];
      progress.accept("reading " + stream + " batches " + from + ".." + (to - 1));
      long[] seen = {0};
      long[] tokenCount = {0};
      final int streamIndex = s;
      scan(
          config,
          stream,
          from,
          to,
          batch -> {
            seen[0]++;
            if (!batch.getImages().isEmpty()) {
              Map<String, DocumentSpan> spanOf = new HashMap<>();
              batch.getSpans().forEach(sp -> spanOf.putIfAbsent(sp.getDocId(), sp));
              for (dev.refinery.schemas.ImagePlacement image : batch.getImages()) {
                DocumentSpan span = spanOf.get(image.getDocId());
                if (span != null) {
                  bySourceImages.merge(span.getSource().getName(), 1L, Long::sum);
                  byLicenceImages.merge(
                      Licences.label(span.getSource().getLicence()), 1L, Long::sum);
                }
              }
            }
            for (DocumentSpan span : batch.getSpans()) {
              documents.add(span.getDocId());
              tokenCount[0] += span.getLength();
              bySourceTokens.merge(span.getSource().getName(), (long) span.getLength(), Long::sum);
              byLicenceTokens.merge(
                  Licences.label(span.getSource().getLicence()),
                  (long) span.getLength(),
                  Long::sum);
              if (span.getUrl() == null) {
                spansWithoutUrl[0]++;
              }
              Takedown t = Takedowns.match(batch, span, store);
              if (t != null) {
                flagged
                    .computeIfAbsent(streamIndex, k -> new HashMap<>())
                    .computeIfAbsent(batch.getBatchIndex(), k -> new ArrayList<>())
                    .add(
                        new String[] {
                          batch.getBatchId(),
                          span.getDocId(),
                          span.getSource().getName(),
                          Takedowns.key(t),
                          t.getReason()
                        });
              }
            }
          });
      batches.put(stream, seen[0]);
      missing += (to - from) - seen[0];
      tokens += tokenCount[0];
    }

    List<Hit> hits = new ArrayList<>();
    if (!flagged.isEmpty()) {
      long[] counts = base.clone();
      for (long i = 0; i < endItem; i++) {
        int s = mixture.draw(i);
        long index = counts[s]++;
        List<String[]> f = flagged.getOrDefault(s, Map.of()).get(index);
        if (f != null) {
          Cursor.Segment seg = Cursor.segmentOfItem(segments, i);
          long st = seg.firstStep() + (i - seg.firstItem()) / seg.worldSize();
          int rank = (int) ((i - seg.firstItem()) % seg.worldSize());
          for (String[] x : f) {
            hits.add(new Hit(st, rank, x[0], x[1], x[2], x[3], x[4]));
          }
        }
      }
    }
    return new Report(
        runId,
        upTo,
        cursor.step(),
        segments,
        batches,
        documents.size(),
        tokens,
        bySourceTokens,
        byLicenceTokens,
        bySourceImages,
        byLicenceImages,
        documents,
        hits,
        spansWithoutUrl[0] > 0 ? urlTakedowns : 0,
        missing);
  }

  private static String images(Map<String, Long> counts, String key) {
    Long n = counts.get(key);
    return n == null ? "" : String.format(" %,10d images", n);
  }

  /** Every batch of {@code stream} with an index in [from, to), as it is read. */
  static void scan(
      BridgeConfig config, String stream, long from, long to, Consumer<TokenBatch> each) {
    if (from >= to) {
      return;
    }
    TopicBinding<String, TokenBatch> binding = Topics.tokens(stream);
    String topic = binding.name();
    try (KafkaConsumer<String, byte[]> consumer =
        TokenConsumers.create(config, "refinery-lineage", Map.of())) {
      List<TopicPartition> tps = TokenConsumers.partitions(consumer, stream);
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> ends = consumer.endOffsets(tps);
      Set<TopicPartition> done = new HashSet<>();
      while (done.size() < tps.size()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          long index = RankFeed.indexOf(r);
          if (index >= from && index < to) {
            try {
              each.accept(binding.deserialize(r.value()));
            } catch (SerializationException e) {
              // counted as missing: the run got an empty step there
            }
          }
        }
        for (TopicPartition tp : tps) {
          if (consumer.position(tp) >= ends.get(tp)) {
            done.add(tp);
          }
        }
      }
    }
  }

  /** The report as the command prints it. */
  public static String format(Report r, boolean listDocuments) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            "run %s, steps 0..%d (newest checkpoint: step %d)%n",
            r.runId(), r.step() - 1, r.checkpointStep()));
    for (Cursor.Segment s : r.segments()) {
      b.append(String.format("  from step %d: %d ranks%n", s.firstStep(), s.worldSize()));
    }
    r.batches().forEach((s, n) -> b.append(String.format("  stream %-12s %,d batches%n", s, n)));
    b.append(String.format("%,d documents, %,d document tokens%n", r.documents(), r.tokens()));
    b.append("by source:\n");
    r.tokensBySource()
        .forEach(
            (s, n) ->
                b.append(
                    String.format(
                        "  %-32s %,14d tokens%s%n", s, n, images(r.imagesBySource(), s))));
    b.append("by licence:\n");
    r.tokensByLicence()
        .forEach(
            (s, n) ->
                b.append(
                    String.format(
                        "  %-32s %,14d tokens%s%n", s, n, images(r.imagesByLicence(), s))));
    if (r.missingBatches() > 0) {
      b.append(
          String.format(
              "%,d batches of these steps are no longer on Kafka (retention) or did not decode%n",
              r.missingBatches()));
    }
    if (r.takedownHits().isEmpty()) {
      b.append("takedowns: no step holds a document under takedown\n");
    } else {
      b.append(
          String.format(
              "takedowns: %d spans in steps the run trained on%n", r.takedownHits().size()));
      for (Hit h : r.takedownHits()) {
        b.append(
            String.format(
                "  step %d rank %d %s doc %s (%s) <- %s: %s%n",
                h.step(), h.rank(), h.batchId(), h.docId(), h.source(), h.takedown(), h.reason()));
      }
    }
    if (r.urlTakedownsNotChecked() > 0) {
      b.append(
          String.format(
              "(%d URL-prefix takedowns not checked on spans written before TokenBatch v3, which carry no URL)%n",
              r.urlTakedownsNotChecked()));
    }
    if (listDocuments) {
      r.documentIds().stream().sorted().forEach(d -> b.append(d).append('\n'));
    }
    return b.toString();
  }
}
