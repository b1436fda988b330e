package dev.refinery.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.runtime.kafka.TopicReader;
import dev.refinery.scaling.ScalingPoints;
import dev.refinery.schemas.AvroCodec;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Licence;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.Topics;
import dev.refinery.schemas.TrainerMetric;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the console knows of the topics: one read_committed consumer over the corpus topics, every
 * {@code tokens.<stream>.v1} and trainer.metrics.v1, read from the beginning and followed, folded
 * into counts (documents by source, rejections by stage and rule, tokens by stream, source and
 * licence, training curves by run and rank). Token topics that appear later are picked up.
 */
final class PipelineView implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineView.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MINUTES_KEPT = 180;
  private static final int CURVE_POINTS = 2000;

  private final KafkaConsumer<String, byte[]> consumer;
  private static final dev.refinery.runtime.images.ImageCheck THUMBNAILS =
      new dev.refinery.runtime.images.ImageCheck(dev.refinery.runtime.images.ImageLimits.DEFAULT);

  private final int examplesKept;
  private final Thread thread;
  private volatile boolean closed;
  private final AtomicLong undecodable = new AtomicLong();

  // all below guarded by this
  private long raw;
  private long clean;
  private long rejected;
  private final Map<String, long[]> sources = new TreeMap<>(); // raw, clean, rejected, tokens
  private final Map<String, String[]> sourceInfo = new TreeMap<>(); // kind, licence, stream
  private final Map<String, Long> byStage = new TreeMap<>();
  private final Map<String, Long> byRule = new TreeMap<>(); // stage/rule/reason
  private final TreeMap<Long, Map<String, Long>> perMinute =
      new TreeMap<>(); // minute -> stage/rule
  private final Deque<ObjectNode> examples = new ArrayDeque<>();
  private final Map<String, long[]> streams =
      new TreeMap<>(); // batches, tokens, padding, positions

  private final Map<String, Long> tokensByLicence = new TreeMap<>();
  private final Map<String, Long> imagesBySource = new TreeMap<>();
  private final Map<String, Long> imagesByLicence = new TreeMap<>();
  private final Map<String, Run> runs = new TreeMap<>();
  private final Set<String> assigned = new HashSet<>();
  private long nextDiscovery;

  /** One training run as its ranks reported it. */
  static final class Run {
    final Map<Integer, double[]> ranks = new TreeMap<>(); // step, tokens_seen, wait ms, step ms
    final List<double[]> curve = new ArrayList<>(); // step, tokens (all ranks), loss
    double params = Double.NaN;
    long lastStep = -1;
    Instant lastAt = Instant.EPOCH;

    /**
     * The run's count where its ranks report it global (the Python client's {@code
     * report(tokens=...)}): the highest, so steps repeated after a restart are not counted again;
     * -1 where ranks report their own counts, which are added.
     */
    long globalTokens = -1;

    long tokens() {
      if (globalTokens >= 0) {
        return globalTokens;
      }
      long total = 0;
      for (double[] r : ranks.values()) {
        total += (long) r[1];
      }
      return total;
    }

    double finalLoss() {
      for (int i = curve.size() - 1; i >= 0; i--) {
        if (!Double.isNaN(curve.get(i)[2])) {
          return curve.get(i)[2];
        }
      }
      return Double.NaN;
    }
  }

  PipelineView(dev.refinery.runtime.config.KafkaClients clients, int examplesKept) {
    this.examplesKept = examplesKept;
    this.consumer = TopicReader.consumer(clients, "refinery-console", Topics.LARGE_MESSAGE_BYTES);
    this.thread = new Thread(this::run, "console-topics");
    thread.setDaemon(true);
  }

  PipelineView start() {
    thread.start();
    return this;
  }

  private void run() {
    try {
      while (!closed) {
        if (System.currentTimeMillis() >= nextDiscovery) {
          discover();
          nextDiscovery = System.currentTimeMillis() + 5000;
        }
        if (assigned.isEmpty()) {
          Thread.sleep(500);
          continue;
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          try {
            fold(record);
          } catch (RuntimeException e) {
            undecodable.incrementAndGet();
          }
        }
      }
    } catch (WakeupException | InterruptedException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("the console stopped reading the topics", e);
    } finally {
      consumer.close();
    }
  }

  /** Assigns the watched topics' partitions, new token topics included, from their beginning. */
  private void discover() {
    Map<String, List<PartitionInfo>> topics = consumer.listTopics(Duration.ofSeconds(10));
    List<TopicPartition> added = new ArrayList<>();
    for (Map.Entry<String, List<PartitionInfo>> t : topics.entrySet()) {
      String name = t.getKey();
      boolean watched =
          name.equals(Topics.CORPUS_RAW.name())
              || name.equals(Topics.CORPUS_CLEAN.name())
              || name.equals(Topics.CORPUS_REJECTED.name())
              || name.equals(Topics.TRAINER_METRICS.name())
              || Topics.streamOf(name) != null;
      if (watched && assigned.add(name)) {
        t.getValue().forEach(p -> added.add(new TopicPartition(name, p.partition())));
      }
    }
    if (!added.isEmpty()) {
      List<TopicPartition> all = new ArrayList<>(consumer.assignment());
      all.addAll(added);
      consumer.assign(all);
      consumer.seekToBeginning(added);
    }
  }

  private synchronized void fold(ConsumerRecord<String, byte[]> record) {
    String topic = record.topic();
    if (topic.equals(Topics.CORPUS_RAW.name())) {
      Document d = AvroCodec.of(Document.class).decode(record.value());
      raw++;
      source(d.getSource())[0]++;
    } else if (topic.equals(Topics.CORPUS_CLEAN.name())) {
      Document d = AvroCodec.of(Document.class).decode(record.value());
      clean++;
      source(d.getSource())[1]++;
    } else if (topic.equals(Topics.CORPUS_REJECTED.name())) {
      rejection(AvroCodec.of(RejectedDocument.class).decode(record.value()));
    } else if (topic.equals(Topics.TRAINER_METRICS.name())) {
      metric(AvroCodec.of(TrainerMetric.class).decode(record.value()));
    } else {
      batch(Topics.streamOf(topic), AvroCodec.of(TokenBatch.class).decode(record.value()));
    }
  }

  private long[] source(Source s) {
    if (s == null) {
      return sources.computeIfAbsent("(none)", k -> new long[4]);
    }
    sourceInfo.computeIfAbsent(
        s.getName(),
        k -> new String[] {s.getKind().name(), licence(s.getLicence()), s.getStream()});
    return sources.computeIfAbsent(s.getName(), k -> new long[4]);
  }

  static String licence(Licence l) {
    if (l == null) {
      return "(unknown)";
    }
    if (l.getSpdxId() != null) {
      return l.getSpdxId();
    }
    return l.getLicensor() != null ? "licensed: " + l.getLicensor() : "(unknown)";
  }

  private void rejection(RejectedDocument r) {
    rejected++;
    String stage = r.getStage().name();
    String rule = r.getRule() == null ? "-" : r.getRule();
    byStage.merge(stage, 1L, Long::sum);
    byRule.merge(stage + "/" + rule + "/" + r.getReason(), 1L, Long::sum);
    if (r.getSource() != null && r.getStage().name().equals("DEDUP_FILTER")) {
      source(r.getSource())[2]++;
    }
    long minute = r.getRejectedAt().toEpochMilli() / 60_000;
    perMinute
        .computeIfAbsent(minute, m -> new TreeMap<>())
        .merge(stage + "/" + rule, 1L, Long::sum);
    while (perMinute.size() > MINUTES_KEPT) {
      perMinute.pollFirstEntry();
    }
    ObjectNode example = JSON.createObjectNode();
    example.put("doc_id", r.getDocId());
    example.put("stage", stage);
    example.put("rule", rule);
    example.put("reason", r.getReason());
    example.put("detail", r.getDetail());
    example.put("dup_of", r.getDupOf());
    example.put("measured", r.getMeasured());
    example.put("threshold", r.getThreshold());
    example.put("location", r.getLocation());
    example.put("source", r.getSource() == null ? null : r.getSource().getName());
    example.put("at", r.getRejectedAt().toString());
    example.put("original_size", r.getOriginalSize());
    if (r.getImageIndex() != null) {
      // one image of a document: a thumbnail of what its kept bytes hold, not their text
      example.put("image_index", r.getImageIndex());
      example.put("image_sha256", r.getImageSha256());
      ByteBuffer b = r.getOriginal().duplicate();
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      byte[] thumbnail = bytes.length == 0 ? null : THUMBNAILS.thumbnail(bytes, 96);
      example.put(
          "original",
          thumbnail != null
              ? "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(thumbnail)
              : bytes.length == 0
                  ? "(no bytes kept: the image is on corpus.images.v1 under its SHA-256)"
                  : "(" + bytes.length + " bytes that do not decode as an image)");
    } else {
      example.put("original", excerpt(r.getOriginal()));
    }
    examples.addFirst(example);
    while (examples.size() > examplesKept) {
      examples.removeLast();
    }
  }

  /** The first 2,000 characters of the original bytes, as UTF-8 with bad bytes replaced. */
  private static String excerpt(ByteBuffer original) {
    ByteBuffer b = original.duplicate();
    byte[] bytes = new byte[Math.min(b.remaining(), 8000)];
    b.get(bytes);
    String text = new String(bytes, StandardCharsets.UTF_8);
    return text.length() > 2000 ? text.substring(0, 2000) + "…" : text;
  }

  private void batch(String stream, TokenBatch b) {
    long[] s = streams.computeIfAbsent(stream, k -> new long[4]);
    s[0]++;
    s[2] += b.getPadding();
    s[3] += (long) b.getNumSequences() * b.getSeqLen();
    Map<String, Source> sourceOf = new HashMap<>();
    for (DocumentSpan span : b.getSpans()) {
      s[1] += span.getLength();
      Source src = span.getSource();
      sourceOf.putIfAbsent(span.getDocId(), src);

      tokensByLicence.merge(
          src == null ? "(unknown)" : licence(src.getLicence()),
          (long) span.getLength(),
          Long::sum);
      source(src)[3] += span.getLength();
    }
    for (dev.refinery.schemas.ImagePlacement image : b.getImages()) {
      Source src = sourceOf.get(image.getDocId());
      imagesBySource.merge(src == null ? "(none)" : src.getName(), 1L, Long::sum);
      imagesByLicence.merge(src == null ? "(unknown)" : licence(src.getLicence()), 1L, Long::sum);
    }
  }

  private void metric(TrainerMetric m) {
    Run run = runs.computeIfAbsent(m.getRunId(), k -> new Run());
    double[] rank = run.ranks.computeIfAbsent(m.getRank(), k -> new double[4]);
    rank[0] = Math.max(rank[0], m.getStep());
    rank[1] = Math.max(rank[1], m.getTokensSeen());
    rank[2] += m.getDataWaitMs() == null ? 0 : m.getDataWaitMs();
    rank[3] += m.getStepTimeMs() == null ? 0 : m.getStepTimeMs();
    Double global = m.getValues().get("tokens_global");
    if (global != null && global == 1.0) {
      run.globalTokens = Math.max(run.globalTokens, m.getTokensSeen());
    }
    Double params = m.getValues().get("params");
    if (params != null) {
      run.params = params;
    }
    if (m.getRecordedAt().isAfter(run.lastAt)) {
      run.lastAt = m.getRecordedAt();
    }
    if (m.getRank() == 0 && m.getStep() > run.lastStep) {
      run.lastStep = m.getStep();
      run.curve.add(
          new double[] {
            m.getStep(), (double) run.tokens(), m.getLoss() == null ? Double.NaN : m.getLoss()
          });
      if (run.curve.size() > CURVE_POINTS) {
        // keep the curve's shape: drop every other point of the older half
        List<double[]> thinned = new ArrayList<>();
        for (int i = 0; i < run.curve.size(); i++) {
          if (i >= run.curve.size() / 2 || i % 2 == 0) {
            thinned.add(run.curve.get(i));
          }
        }
        run.curve.clear();
        run.curve.addAll(thinned);
      }
    }
  }

  /** Totals, for the API and the tests. */
  synchronized long[] totals() {
    return new long[] {raw, clean, rejected};
  }

  synchronized Map<String, Long> tokensByStream() {
    Map<String, Long> out = new TreeMap<>();
    streams.forEach((k, v) -> out.put(k, v[1]));
    return out;
  }

  /**
   * Completed runs with a known parameter count: name, compute 6·N·D, params, tokens, final loss.
   */
  synchronized List<ScalingPoints.Point> runPoints() {
    List<ScalingPoints.Point> points = new ArrayList<>();
    runs.forEach(
        (name, run) -> {
          double loss = run.finalLoss();
          long tokens = run.tokens();
          if (!Double.isNaN(run.params) && !Double.isNaN(loss) && tokens > 0) {
            points.add(
                new ScalingPoints.Point(name, 6 * run.params * tokens, run.params, tokens, loss));
          }
        });
    return points;
  }

  /** Everything the pages show of the topics, as JSON. */
  synchronized ObjectNode snapshot() {
    ObjectNode out = JSON.createObjectNode();
    ObjectNode documents = out.putObject("documents");
    documents.put("raw", raw).put("clean", clean).put("rejected", rejected);
    ArrayNode srcs = out.putArray("sources");
    sources.forEach(
        (name, c) -> {
          String[] info = sourceInfo.getOrDefault(name, new String[] {"", "", ""});
          srcs.addObject()
              .put("source", name)
              .put("kind", info[0])
              .put("licence", info[1])
              .put("stream", info[2])
              .put("raw", c[0])
              .put("clean", c[1])
              .put("rejected", c[2])
              .put("tokens", c[3]);
        });
    ObjectNode rej = out.putObject("rejections");
    ObjectNode stages = rej.putObject("by_stage");
    byStage.forEach(stages::put);
    ArrayNode rules = rej.putArray("by_rule");
    byRule.forEach(
        (k, n) -> {
          String[] p = k.split("/", 3);
          rules
              .addObject()
              .put("stage", p[0])
              .put("rule", p[1])
              .put("reason", p[2])
              .put("count", n);
        });
    ArrayNode minutes = rej.putArray("per_minute");
    perMinute.forEach(
        (minute, counts) -> {
          ObjectNode m =
              minutes.addObject().put("t", Instant.ofEpochSecond(minute * 60).toString());
          ObjectNode c = m.putObject("counts");
          counts.forEach(c::put);
        });
    ArrayNode ex = rej.putArray("examples");
    examples.forEach(ex::add);
    ObjectNode tokens = out.putObject("tokens");
    ArrayNode byStream = tokens.putArray("by_stream");
    streams.forEach(
        (k, v) ->
            byStream
                .addObject()
                .put("stream", k)
                .put("batches", v[0])
                .put("tokens", v[1])
                .put("padding", v[2])
                .put("positions", v[3]));
    ObjectNode bySource = tokens.putObject("by_source");
    sources.forEach(
        (name, c) -> {
          if (c[3] > 0) {
            bySource.put(name, c[3]);
          }
        });
    ObjectNode byLicence = tokens.putObject("by_licence");
    tokensByLicence.forEach(byLicence::put);
    ObjectNode images = out.putObject("images");
    ObjectNode imageSources = images.putObject("by_source");
    imagesBySource.forEach(imageSources::put);
    ObjectNode imageLicences = images.putObject("by_licence");
    imagesByLicence.forEach(imageLicences::put);
    ArrayNode runList = out.putArray("runs");
    runs.forEach(
        (name, run) -> {
          ObjectNode r =
              runList
                  .addObject()
                  .put("run", name)
                  .put("tokens", run.tokens())
                  .put("step", run.lastStep);
          if (!Double.isNaN(run.params)) {
            r.put("params", run.params);
          }
          r.put("last_at", run.lastAt.toString());
          ArrayNode curve = r.putArray("curve");
          for (double[] p : run.curve) {
            ArrayNode point = curve.addArray().add((long) p[0]).add((long) p[1]);
            if (Double.isNaN(p[2])) {
              point.addNull();
            } else {
              point.add(p[2]);
            }
            if (!Double.isNaN(run.params)) {
              point.add(6 * run.params * p[1]);
            }
          }
          ArrayNode ranks = r.putArray("ranks");
          run.ranks.forEach(
              (rank, v) ->
                  ranks
                      .addObject()
                      .put("rank", rank)
                      .put("step", (long) v[0])
                      .put("tokens_seen", (long) v[1])
                      .put("data_wait_fraction", v[3] > 0 ? v[2] / v[3] : 0));
        });
    out.put("undecodable", undecodable.get());
    return out;
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
