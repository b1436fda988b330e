package dev.refinery.bridge;

import dev.refinery.runtime.kafka.TopicReader;
import dev.refinery.runtime.kafka.TopicSnapshot;
import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.DataCheckpoint;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;

/**
 * How far a takedown reaches into what already passed dedup-filter: the documents of {@code
 * corpus.clean.v1} it covers, the spans of the token topics (which the bridge now delivers masked),
 * and the runs that trained on them before, with their steps.
 */
public final class TakedownReach {
  /** The answer. */
  public record Report(
      long cleanDocuments,
      List<String> cleanSample,
      long spans,
      long tokens,
      Map<String, Set<Long>> batchesByStream,
      Map<String, Set<Long>> stepsByRun) {}

  private TakedownReach() {}

  /** Reads the clean topic, every token topic and every run's lineage. */
  public static Report of(BridgeConfig config, Takedown takedown, Consumer<String> progress)
      throws Exception {
    java.util.NavigableMap<String, Takedown> one = new TreeMap<>();
    one.put(Takedowns.key(takedown), takedown);
    Takedowns.Store store = Takedowns.Store.of(one);
    long[] clean = {0};
    List<String> sample = new ArrayList<>();
    progress.accept("reading " + Topics.CORPUS_CLEAN.name());
    TopicReader.readToEnd(
        config.kafka(),
        Topics.CORPUS_CLEAN,
        "refinery-takedown-reach",
        Duration.ofMinutes(10),
        r -> {
          Document d;
          try {
            d = Topics.CORPUS_CLEAN.deserialize(r.value());
          } catch (RuntimeException e) {
            return;
          }
          if (Takedowns.match(d, store) != null) {
            clean[0]++;
            if (sample.size() < 10) {
              sample.add(d.getId());
            }
          }
        },
        n -> {});
    Set<String> streams = new TreeSet<>();
    try (Admin admin = Admin.create(config.kafka().admin(Map.of()))) {
      for (String topic : admin.listTopics().names().get()) {
        String stream = Topics.streamOf(topic);
        if (stream != null) {
          streams.add(stream);
        }
      }
    }
    long[] spans = {0};
    long[] tokens = {0};
    Map<String, Set<Long>> batches = new TreeMap<>();
    for (String stream : streams) {
      progress.accept("reading " + Topics.tokens(stream).name());
      Lineage.scan(
          config,
          stream,
          0,
          Long.MAX_VALUE,
          batch -> {
            for (DocumentSpan s : batch.getSpans()) {
              if (Takedowns.match(batch, s, store) != null) {
                spans[0]++;
                tokens[0] += s.getLength();
                batches.computeIfAbsent(stream, k -> new TreeSet<>()).add(batch.getBatchIndex());
              }
            }
          });
    }
    Map<String, Set<Long>> runs = new TreeMap<>();
    if (!batches.isEmpty()) {
      Set<String> runIds = new TreeSet<>();
      for (var e :
          TopicSnapshot.read(config.kafka(), Topics.TRAINER_CHECKPOINTS, Duration.ofMinutes(2))) {
        DataCheckpoint d = e.value();
        if (d != null) {
          runIds.add(d.getRunId());
        }
      }
      String key = Takedowns.key(takedown);
      for (String run : runIds) {
        progress.accept("tracing run " + run);
        for (Lineage.Hit hit : Lineage.of(config, run, -1, progress).takedownHits()) {
          if (hit.takedown().equals(key)) {
            runs.computeIfAbsent(run, k -> new TreeSet<>()).add(hit.step());
          }
        }
      }
    }
    return new Report(clean[0], sample, spans[0], tokens[0], batches, runs);
  }
}
