package dev.refinery.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.runtime.images.ImageStore;
import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.DataCheckpoint;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Image;
import dev.refinery.schemas.ImagePlacement;
import dev.refinery.schemas.Licences;
import dev.refinery.schemas.PartitionPosition;
import dev.refinery.schemas.PreferenceRows;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import dev.refinery.schemas.TrainerMetric;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rank of one run, for the life of its connection: the protocol after {@code HELLO} (see {@link
 * Frames}), the rank's feed of batches, its checkpoints and metrics records, and its gauges.
 */
final class RankSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RankSession.class);

  private final BridgeConfig config;
  private final KafkaProducer<String, byte[]> producer;
  private final TakedownFollower takedowns;
  private final java.util.function.Supplier<ImageStore> images;
  private final boolean sendImages;

  /**
   * The images this connection keeps, in use order; the client keeps the same ones by applying the
   * same steps in the same order (a batch's images, in header order: kept ones are touched, sent
   * ones added, the least recently used dropped past {@code bridge.image.cache}).
   */
  private final LinkedHashMap<String, Boolean> keptImages;

  private final Counter imagesSent;
  private final PrometheusMeterRegistry registry;
  private final BooleanSupplier closed;
  private final String runId;
  private final int rank;
  private final int worldSize;
  private final Mixture mixture;
  private final List<Cursor.Segment> segments;
  private final long startStep;
  private final long startItem;
  private final long[] startCounts;
  private final boolean resumed;
  private final RankFeed feed;
  private final List<TopicBinding<String, TokenBatch>> bindings = new ArrayList<>();
  private final Counter batches;
  private final Counter tokens;
  private final Counter maskedSpans;
  private final Counter maskedTokens;
  private final Counter waitSeconds;
  private final AtomicInteger stepGauge = new AtomicInteger();
  private RankPlan.Walk checkpointWalk;
  private final List<io.micrometer.core.instrument.Meter> feedGauges = new ArrayList<>();

  /**
   * @param closed whether the bridge is closing (a rank waiting for a batch stops waiting)
   * @throws IllegalArgumentException naming what is wrong with the {@code HELLO}
   */
  RankSession(
      BridgeConfig config,
      KafkaProducer<String, byte[]> producer,
      PoisonRecords poison,
      TakedownFollower takedowns,
      java.util.function.Supplier<ImageStore> images,
      PrometheusMeterRegistry registry,
      BooleanSupplier closed,
      JsonNode hello) {
    this.config = config;
    this.producer = producer;
    this.takedowns = takedowns;
    this.images = images;
    String imageMode = hello.path("images").asText("bytes");
    if (!imageMode.equals("bytes") && !imageMode.equals("none")) {
      throw new IllegalArgumentException(
          "images must be \"bytes\" (sent with the batches) or \"none\" (text only), not \""
              + imageMode
              + "\"");
    }
    this.sendImages = imageMode.equals("bytes");
    int cache = config.imageCache();
    this.keptImages =
        new LinkedHashMap<>(64, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > cache;
          }
        };
    this.registry = registry;
    this.closed = closed;
    int protocol = hello.path("protocol").asInt(Frames.PROTOCOL);
    if (protocol != Frames.PROTOCOL) {
      throw new IllegalArgumentException(
          "protocol "
              + protocol
              + " is not spoken here (this bridge speaks "
              + Frames.PROTOCOL
              + ")");
    }
    this.runId = requiredText(hello, "run_id");
    this.worldSize = hello.path("world_size").asInt(0);
    this.rank = hello.path("rank").asInt(-1);
    if (worldSize < 1) {
      throw new IllegalArgumentException("world_size must be at least 1");
    }
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException(
          "rank must be in [0, world_size) = [0, " + worldSize + "), not " + hello.path("rank"));
    }
    JsonNode streams = hello.path("streams");
    if (!streams.isObject() || streams.isEmpty()) {
      throw new IllegalArgumentException(
          "streams must name at least one stream with its weight, e.g. {\"web\": 0.7, \"books\": 0.3}");
    }
    Map<String, Double> weights = new LinkedHashMap<>();
    streams
        .properties()
        .forEach(
            e -> {
              if (!e.getValue().isNumber()) {
                throw new IllegalArgumentException(
                    "the weight of stream '" + e.getKey() + "' is not a number");
              }
              weights.put(e.getKey(), e.getValue().asDouble());
            });
    long seed = hello.path("seed").asLong(0);
    this.mixture = new Mixture(seed, weights);
    int prefetch = hello.path("prefetch").asInt(config.prefetch());
    if (prefetch < 1 || prefetch > 4096) {
      throw new IllegalArgumentException("prefetch must be in [1, 4096]");
    }
    Map<TopicPartition, Long> positions = new HashMap<>();
    JsonNode cursorNode = hello.path("cursor");
    if (cursorNode.isTextual() && !cursorNode.asText().isEmpty()) {
      Cursor cursor;
      try {
        cursor = Cursor.decode(Base64.getDecoder().decode(cursorNode.asText()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("cursor: " + e.getMessage());
      }
      if (!cursor.runId().equals(runId)) {
        throw new IllegalArgumentException(
            "the cursor is of run '" + cursor.runId() + "', not '" + runId + "'");
      }
      if (cursor.seed() != seed || !cursor.weights().equals(mixture.weights())) {
        throw new IllegalArgumentException(
            "the cursor was made with seed "
                + cursor.seed()
                + " and weights "
                + cursor.weights()
                + "; resuming with seed "
                + seed
                + " and "
                + mixture.weights()
                + " would not continue the run. Start a new run id to change them.");
      }
      List<Cursor.Segment> segs = new ArrayList<>(cursor.segments());
      if (segs.get(segs.size() - 1).worldSize() != worldSize) {
        segs.add(new Cursor.Segment(cursor.step(), cursor.item(), worldSize));
      }
      this.segments = List.copyOf(segs);
      this.startStep = cursor.step();
      this.startItem = cursor.item();
      this.startCounts = new long[mixture.size()];
      for (int s = 0; s < mixture.size(); s++) {
        startCounts[s] = cursor.consumed().getOrDefault(mixture.stream(s), 0L);
      }
      for (Cursor.Position p : cursor.positions()) {
        positions.put(new TopicPartition(p.topic(), p.partition()), p.offset());
      }
      this.resumed = true;
    } else {
      this.segments = List.of(new Cursor.Segment(0, 0, worldSize));
      this.startStep = 0;
      this.startItem = 0;
      this.startCounts = new long[mixture.size()];
      JsonNode start = hello.path("start");
      for (int s = 0; s < mixture.size(); s++) {
        startCounts[s] = Math.max(0, start.path(mixture.stream(s)).asLong(0));
      }
      this.resumed = false;
    }
    for (String stream : mixture.streams()) {
      bindings.add(Topics.tokens(stream)); // one decoder per stream, not one per batch
    }
    RankPlan plan = new RankPlan(mixture, segments, rank, startStep, startItem, startCounts);
    this.feed =
        new RankFeed(
            config,
            mixture,
            plan,
            startCounts,
            positions,
            prefetch,
            config.clientId() + "-" + runId + "-" + rank,
            bindings,
            poison,
            this::prefetchImages);
    Tags tags = Tags.of("run", runId, "rank", Integer.toString(rank));
    this.batches = registry.counter("refinery_bridge_batches", tags);
    this.tokens = registry.counter("refinery_bridge_tokens", tags);
    this.maskedSpans = registry.counter("refinery_bridge_masked_spans", tags);
    this.maskedTokens = registry.counter("refinery_bridge_masked_tokens", tags);
    this.waitSeconds = registry.counter("refinery_bridge_data_wait_seconds", tags);
    this.imagesSent = registry.counter("refinery_bridge_images_sent", tags);
    registry.gauge("refinery_bridge_step", tags, stepGauge);
    // gauges of this connection's feed, removed when it closes (a reconnecting rank gets new
    // ones)
    feedGauges.add(
        io.micrometer.core.instrument.Gauge.builder(
                "refinery_bridge_buffered_batches", feed, RankFeed::buffered)
            .tags(tags)
            .register(registry));
    feedGauges.add(
        io.micrometer.core.instrument.Gauge.builder(
                "refinery_bridge_lag_batches", feed, RankFeed::lag)
            .tags(tags)
            .register(registry));
    feedGauges.add(
        io.micrometer.core.instrument.Gauge.builder(
                "refinery_bridge_skipped_records", feed, RankFeed::skippedRecords)
            .tags(tags)
            .register(registry));
    stepGauge.set((int) Math.min(Integer.MAX_VALUE, startStep));
    LOG.info(
        "rank {} of {} of run {} connected at step {} ({})",
        rank,
        worldSize,
        runId,
        startStep,
        resumed ? "resumed" : "new");
  }

  ObjectNode welcome() {
    ObjectNode h = Frames.object();
    h.put("protocol", Frames.PROTOCOL);
    h.put("run_id", runId);
    h.put("rank", rank);
    h.put("world_size", worldSize);
    h.put("step", startStep);
    h.put("resumed", resumed);
    h.put("images", sendImages ? "bytes" : "none");
    h.put("image_cache", config.imageCache());
    ObjectNode w = h.putObject("streams");
    mixture.weights().forEach(w::put);
    return h;
  }

  void next(SocketChannel channel, JsonNode header) throws IOException, InterruptedException {
    long waitMs = header.path("wait_ms").asLong(-1);
    int n = Math.max(1, header.path("n").asInt(1));
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      RankFeed.Fetched f;
      if (waitMs < 0) {
        do {
          f = feed.next(1000);
        } while (f == null && !closed.getAsBoolean());
      } else {
        f = feed.next(waitMs);
      }
      waitSeconds.increment((System.nanoTime() - t0) / 1e9);
      if (f == null) {
        RankPlan.Step head = feed.peek();
        ObjectNode h = Frames.object();
        h.put("step", head.step());
        h.put("stream", mixture.stream(head.stream()));
        h.put("index", head.index());
        Frames.write(channel, Frames.EMPTY, h, null);
        return;
      }
      send(channel, f, (System.nanoTime() - t0) / 1e6);
    }
  }

  private void send(SocketChannel channel, RankFeed.Fetched f, double waitedMs)
      throws IOException, InterruptedException {
    String stream = mixture.stream(f.step().stream());
    ObjectNode h = Frames.object();
    h.put("step", f.step().step());
    h.put("item", f.step().item());
    h.put("stream", stream);
    h.put("index", f.step().index());
    h.put("topic", f.topic());
    h.put("partition", f.partition());
    h.put("offset", f.offset());
    h.put("wait_ms", waitedMs);
    if (f.error() != null) {
      // the step keeps its place: the rank learns why it has no tokens
      h.put("error", f.error());
      Frames.write(channel, Frames.BATCH, h, null);
      stepGauge.set((int) Math.min(Integer.MAX_VALUE, f.step().step() + 1));
      return;
    }
    TokenBatch batch = f.batch();
    h.put("batch_id", batch.getBatchId());
    h.put("dtype", batch.getDtype().name().toLowerCase(java.util.Locale.ROOT));
    h.put("seq_len", batch.getSeqLen());
    h.put("rows", batch.getNumSequences());
    h.put("row_width", TokenBytes.rowWidth(batch));
    h.put("label_token", batch.getLabelToken());
    h.put("packing", batch.getPacking());
    h.put("pad_token", batch.getPadToken());
    h.put("padding", batch.getPadding());
    h.put("tokenizer", batch.getTokenizer());
    ArrayNode rowPadding = h.putArray("sequence_padding");
    batch.getSequencePadding().forEach(rowPadding::add);
    ArrayNode spans = h.putArray("spans");
    for (DocumentSpan s : batch.getSpans()) {
      spans
          .addArray()
          .add(s.getDocId())
          .add(s.getSource().getName())
          .add(Licences.label(s.getSource().getLicence()))
          .add(s.getSequence())
          .add(s.getOffset())
          .add(s.getLength())
          .add(s.getDocOffset())
          .add(s.getDocTokens());
      if (s.getLossRanges() != null) {
        // a conversation: which of the span's tokens are learned from, in document indexes
        ArrayNode span = (ArrayNode) spans.get(spans.size() - 1);
        ArrayNode ranges = span.addArray();
        s.getLossRanges().forEach(ranges::add);
      }
    }
    if (!batch.getPairs().isEmpty()) {
      // a preference batch: which rows are each pair's chosen and rejected sequence
      ArrayNode pairs = h.putArray("pairs");
      for (PreferenceRows p : batch.getPairs()) {
        ArrayNode row =
            pairs
                .addArray()
                .add(p.getPairId())
                .add(p.getGroupId())
                .add(p.getSetId())
                .add(p.getChosen())
                .add(p.getRejected());
        if (p.getMargin() == null) {
          row.addNull();
        } else {
          row.add(p.getMargin());
        }
        row.add(p.getOrigin());
      }
    }
    ByteBuffer body = mask(batch, h);
    if (!batch.getImages().isEmpty()) {
      images(channel, batch, h);
    }
    Frames.write(channel, Frames.BATCH, h, body);
    batches.increment();
    tokens.increment(body.remaining() / (TokenBytes.width(batch.getDtype())));
    stepGauge.set((int) Math.min(Integer.MAX_VALUE, f.step().step() + 1));
  }

  /** Whether the connection keeps the image; touches it, as the client's copy does. */
  private boolean kept(String sha256) {
    synchronized (keptImages) {
      return keptImages.get(sha256) != null;
    }
  }

  /**
   * Asks the store for the images of a batch the feed fetched ahead, so that their bytes are at
   * hand when the batch is sent; those this connection keeps are not asked for.
   */
  private void prefetchImages(TokenBatch batch) {
    if (!sendImages || batch.getImages().isEmpty()) {
      return;
    }
    List<String> wanted = new ArrayList<>();
    synchronized (keptImages) {
      for (ImagePlacement p : batch.getImages()) {
        if (!keptImages.containsKey(p.getSha256())) {
          wanted.add(p.getSha256());
        }
      }
    }
    if (!wanted.isEmpty()) {
      images.get().prefetch(wanted);
    }
  }

  /**
   * Lists the batch's images in the header ({@code [doc_id, sha256, index, sequence, offset,
   * length, media_type, width, height, state]}) and sends, before the batch, the bytes of each one
   * this connection does not keep. {@code state} is {@code "sent"} (its {@code IMAGE} frame came
   * before this batch), {@code "kept"} (sent before; the client keeps it), {@code "masked"} (its
   * document is under a takedown: no bytes), {@code "missing"} (the store does not have it) or
   * {@code "none"} (the rank asked for text only).
   */
  private void images(SocketChannel channel, TokenBatch batch, ObjectNode h)
      throws IOException, InterruptedException {
    java.util.Set<String> masked = new java.util.HashSet<>();
    h.path("masked").forEach(m -> masked.add(m.get(4).asText()));
    ArrayNode list = h.putArray("images");
    for (ImagePlacement p : batch.getImages()) {
      String state;
      if (!sendImages) {
        state = "none";
      } else if (masked.contains(p.getDocId())) {
        state = "masked";
      } else if (kept(p.getSha256())) {
        state = "kept";
      } else {
        Image image = images.get().get(p.getSha256(), Duration.ofSeconds(30));
        if (image == null) {
          LOG.warn(
              "image {} of {} is not on {}: batch {} goes without its bytes",
              p.getSha256(),
              p.getDocId(),
              Topics.CORPUS_IMAGES.name(),
              batch.getBatchId());
          state = "missing";
        } else {
          ObjectNode ih = Frames.object();
          ih.put("sha256", image.getSha256());
          ih.put("media_type", image.getMediaType());
          ih.put("width", image.getWidth());
          ih.put("height", image.getHeight());
          Frames.write(channel, Frames.IMAGE, ih, image.getData());
          synchronized (keptImages) {
            keptImages.put(p.getSha256(), Boolean.TRUE);
          }
          imagesSent.increment();
          state = "sent";
        }
      }
      list.addArray()
          .add(p.getDocId())
          .add(p.getSha256())
          .add(p.getIndex())
          .add(p.getSequence())
          .add(p.getOffset())
          .add(p.getLength())
          .add(p.getMediaType())
          .add(p.getWidth())
          .add(p.getHeight())
          .add(state);
    }
  }

  /**
   * The batch's tokens with every span under a takedown in force replaced by the pad token, and
   * those spans listed in the header's {@code masked} ({@code [sequence, offset, length, takedown,
   * doc_id]}) so the rank leaves them out of its loss. The batch keeps its shape, so a resume is as
   * exact as before; the topic keeps the batch as it was written.
   */
  private ByteBuffer mask(TokenBatch batch, ObjectNode h) throws InterruptedException {
    awaitTakedowns();
    ArrayNode masked = h.putArray("masked");
    List<int[]> runs = new ArrayList<>();
    for (DocumentSpan s : batch.getSpans()) {
      // a takedown of an image covers every document that holds it
      Takedown t = Takedowns.match(batch, s, takedowns);
      if (t != null) {
        masked
            .addArray()
            .add(s.getSequence())
            .add(s.getOffset())
            .add(s.getLength())
            .add(Takedowns.key(t))
            .add(s.getDocId());
        runs.add(new int[] {s.getSequence(), s.getOffset(), s.getLength()});
      }
    }
    ByteBuffer tokens = batch.getTokens();
    if (runs.isEmpty()) {
      h.put("masked_tokens", 0);
      return tokens;
    }
    ByteBuffer copy = ByteBuffer.allocate(tokens.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    copy.put(tokens.duplicate()).flip();
    int width = TokenBytes.width(batch.getDtype());
    int rowWidth = TokenBytes.rowWidth(batch);
    int pad = batch.getPadToken();
    long count = 0;
    for (int[] run : runs) {
      for (int i = 0; i < run[2]; i++) {
        put(copy, (run[0] * rowWidth + run[1] + i) * width, width, pad);
      }
      // with a label token, a row's last id is the next row's first: mask it with that row's span
      if (batch.getLabelToken() && run[1] == 0 && run[0] > 0) {
        put(copy, (run[0] * rowWidth - 1) * width, width, pad);
      }
      count += run[2];
    }
    h.put("masked_tokens", count);
    maskedSpans.increment(runs.size());
    maskedTokens.increment(count);
    return copy;
  }

  private static void put(ByteBuffer buffer, int position, int width, int value) {
    if (width == 2) {
      buffer.putShort(position, (short) value);
    } else {
      buffer.putInt(position, value);
    }
  }

  /** Batches wait until every takedown published before the bridge started is known. */
  private void awaitTakedowns() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!takedowns.caughtUp()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the bridge has not read "
                + Topics.CORPUS_TAKEDOWNS.name()
                + " in 60 s: no batch is served that a takedown might cover");
      }
      Thread.sleep(20);
    }
  }

  void checkpoint(SocketChannel channel, JsonNode header) throws IOException, InterruptedException {
    if (!header.path("step").canConvertToLong()) {
      throw new IllegalArgumentException("CHECKPOINT needs the step, e.g. {\"step\": 1000}");
    }
    long step = header.path("step").asLong();
    if (step < startStep) {
      throw new IllegalArgumentException(
          "step " + step + " is before this rank's first step " + startStep);
    }
    long item = Cursor.itemOf(segments, step, 0);
    if (checkpointWalk == null || checkpointWalk.item() > item) {
      checkpointWalk = new RankPlan.Walk(mixture, startItem, startCounts);
    }
    long[] counts = checkpointWalk.advanceTo(item);
    SortedMap<String, Long> consumed = new TreeMap<>();
    List<Cursor.Position> positions = new ArrayList<>();
    try (IndexSeeker seeker = new IndexSeeker(config, config.clientId() + "-seek")) {
      for (int s = 0; s < mixture.size(); s++) {
        consumed.put(mixture.stream(s), counts[s]);
        positions.addAll(seeker.positions(mixture.stream(s), counts[s]));
      }
    }
    Cursor cursor =
        new Cursor(
            runId, mixture.seed(), mixture.weights(), step, item, consumed, segments, positions);
    byte[] bytes = cursor.encode();
    if (rank == 0) {
      List<PartitionPosition> pp = new ArrayList<>();
      positions.forEach(p -> pp.add(new PartitionPosition(p.topic(), p.partition(), p.offset())));
      DataCheckpoint record =
          DataCheckpoint.newBuilder()
              .setRunId(runId)
              .setStep(step)
              .setWorldSize(worldSize)
              .setSeed(mixture.seed())
              .setWeights(new HashMap<>(mixture.weights()))
              .setPositions(pp)
              .setCursor(ByteBuffer.wrap(bytes))
              .setCreatedAt(Instant.now())
              .build();
      try {
        producer
            .send(
                new ProducerRecord<>(
                    Topics.TRAINER_CHECKPOINTS.name(),
                    BridgeServer.checkpointKey(runId, step),
                    Topics.TRAINER_CHECKPOINTS.serialize(record)))
            .get(60, TimeUnit.SECONDS);
      } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new IOException("recording the checkpoint on Kafka failed: " + e.getMessage(), e);
      }
    }
    ObjectNode h = Frames.object();
    h.put("step", step);
    ObjectNode c = h.putObject("consumed");
    consumed.forEach(c::put);
    Frames.write(channel, Frames.CURSOR, h, ByteBuffer.wrap(bytes));
  }

  void metrics(JsonNode h) {
    if (!h.path("step").canConvertToLong()) {
      registry.counter("refinery_bridge_bad_frames").increment();
      LOG.warn("rank {} of run {} sent METRICS without a step; dropped", rank, runId);
      return;
    }
    Map<String, Double> values = new HashMap<>();
    h.path("values")
        .properties()
        .forEach(
            e -> {
              if (e.getValue().isNumber()) {
                values.put(e.getKey(), e.getValue().asDouble());
              }
            });
    TrainerMetric metric =
        TrainerMetric.newBuilder()
            .setRunId(runId)
            .setRank(rank)
            .setStep(h.path("step").asLong())
            .setLoss(number(h, "loss"))
            .setTokensSeen(h.path("tokens_seen").asLong(0))
            .setLearningRate(number(h, "learning_rate"))
            .setStepTimeMs(number(h, "step_time_ms"))
            .setDataWaitMs(number(h, "data_wait_ms"))
            .setRecordedAt(Instant.now())
            .setValues(values)
            .build();
    producer.send(
        new ProducerRecord<>(
            Topics.TRAINER_METRICS.name(), runId, Topics.TRAINER_METRICS.serialize(metric)),
        (m, e) -> {
          if (e != null) {
            LOG.warn("a trainer metric of run {} was not recorded: {}", runId, e.getMessage());
          }
        });
  }

  @Override
  public void close() {
    feedGauges.forEach(registry::remove);
    feed.close();
    LOG.info("rank {} of run {} disconnected", rank, runId);
  }

  private static Double number(JsonNode h, String field) {
    JsonNode n = h.path(field);
    return n.isNumber() ? n.asDouble() : null;
  }

  private static String requiredText(JsonNode h, String field) {
    String v = h.path(field).asText("");
    if (v.isBlank()) {
      throw new IllegalArgumentException(field + " is missing from HELLO");
    }
    return v;
  }
}
