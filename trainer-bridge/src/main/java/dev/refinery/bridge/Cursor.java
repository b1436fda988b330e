package dev.refinery.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A run's data position at a model checkpoint: every rank has finished the steps before {@code
 * step}. It is the same for every rank of the run (nothing in it is a rank's own), so any rank's
 * copy resumes any rank, on any world size.
 *
 * <p>The global batch sequence of a run is cut into segments, one per world size it ran with: a
 * segment starting at step {@code firstStep} and global item {@code firstItem} with {@code W} ranks
 * gives rank {@code r} item {@code firstItem + (step - firstStep) * W + r} at each of its steps.
 * {@code item} is the first item of {@code step}; {@code consumed} counts, per stream, the items
 * before it, which are the stream's next batch index. {@code positions} are a hint: offsets per
 * topic partition before which every batch has an index below its stream's consumed count.
 *
 * <p>Encoded as UTF-8 JSON with a version, opaque to the trainer, which saves it with its model.
 */
public record Cursor(
    String runId,
    long seed,
    SortedMap<String, Double> weights,
    long step,
    long item,
    SortedMap<String, Long> consumed,
    List<Segment> segments,
    List<Position> positions) {
  public static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A stretch of the run on one world size. */
  public record Segment(long firstStep, long firstItem, int worldSize) {}

  /** Where to start reading a topic partition on resume. */
  public record Position(String topic, int partition, long offset) {}

  public Cursor {
    weights = new TreeMap<>(weights);
    consumed = new TreeMap<>(consumed);
    segments = List.copyOf(segments);
    positions = List.copyOf(positions);
  }

  /** The segment that holds {@code step}. */
  public static Segment segmentOf(List<Segment> segments, long step) {
    return last(segments, s -> s.firstStep() <= step);
  }

  /** The segment that holds global item {@code item}. */
  public static Segment segmentOfItem(List<Segment> segments, long item) {
    return last(segments, s -> s.firstItem() <= item);
  }

  private static Segment last(List<Segment> segments, java.util.function.Predicate<Segment> from) {
    Segment found = segments.get(0);
    for (Segment s : segments) {
      if (from.test(s)) {
        found = s;
      }
    }
    return found;
  }

  /** The global item rank {@code rank} reads at {@code step}. */
  public static long itemOf(List<Segment> segments, long step, int rank) {
    Segment s = segmentOf(segments, step);
    return s.firstItem() + (step - s.firstStep()) * s.worldSize() + rank;
  }

  public byte[] encode() {
    ObjectNode root = JSON.createObjectNode();
    root.put("v", VERSION);
    root.put("run_id", runId);
    root.put("seed", seed);
    ObjectNode w = root.putObject("weights");
    weights.forEach(w::put);
    root.put("step", step);
    root.put("item", item);
    ObjectNode c = root.putObject("consumed");
    consumed.forEach(c::put);
    ArrayNode segs = root.putArray("segments");
    for (Segment s : segments) {
      segs.addArray().add(s.firstStep()).add(s.firstItem()).add(s.worldSize());
    }
    ArrayNode pos = root.putArray("positions");
    for (Position p : positions) {
      pos.addArray().add(p.topic()).add(p.partition()).add(p.offset());
    }
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * @throws IllegalArgumentException naming what is wrong, when the bytes are not a cursor
   */
  public static Cursor decode(byte[] bytes) {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "the cursor is not one the bridge made: " + e.getMessage());
    }
    if (root == null || !root.isObject() || root.path("v").asInt(-1) != VERSION) {
      throw new IllegalArgumentException(
          "the cursor is not one the bridge made (or of another version than " + VERSION + ")");
    }
    try {
      SortedMap<String, Double> weights = new TreeMap<>();
      root.get("weights")
          .properties()
          .forEach(e -> weights.put(e.getKey(), e.getValue().asDouble()));
      SortedMap<String, Long> consumed = new TreeMap<>();
      root.get("consumed")
          .properties()
          .forEach(e -> consumed.put(e.getKey(), e.getValue().asLong()));
      List<Segment> segments = new ArrayList<>();
      for (JsonNode s : root.get("segments")) {
        segments.add(new Segment(s.get(0).asLong(), s.get(1).asLong(), s.get(2).asInt()));
      }
      List<Position> positions = new ArrayList<>();
      for (JsonNode p : root.get("positions")) {
        positions.add(new Position(p.get(0).asText(), p.get(1).asInt(), p.get(2).asLong()));
      }
      if (segments.isEmpty()) {
        throw new IllegalArgumentException("the cursor has no segments");
      }
      return new Cursor(
          root.get("run_id").asText(),
          root.get("seed").asLong(),
          weights,
          root.get("step").asLong(),
          root.get("item").asLong(),
          consumed,
          segments,
          positions);
    } catch (NullPointerException e) {
      throw new IllegalArgumentException("the cursor is incomplete: a field is missing");
    }
  }
}
