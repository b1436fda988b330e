package dev.refinery.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rank's connection to its node's bridge, in Java (the Python client, {@code refinery_bridge},
 * speaks the same {@link Frames}). Not thread-safe: one per rank.
 */
public final class BridgeClient implements AutoCloseable {
  /** Who a rank is, and where its run starts. */
  public record Hello(
      String runId,
      int rank,
      int worldSize,
      Map<String, Double> streams,
      long seed,
      byte[] cursor,
      int prefetch) {
    public Hello(String runId, int rank, int worldSize, Map<String, Double> streams, long seed) {
      this(runId, rank, worldSize, streams, seed, null, 0);
    }

    public Hello resumingFrom(byte[] cursor) {
      return new Hello(runId, rank, worldSize, streams, seed, cursor, prefetch);
    }

    public Hello as(int rank, int worldSize) {
      return new Hello(runId, rank, worldSize, streams, seed, cursor, prefetch);
    }
  }

  /**
   * A batch as a rank receives it: the header's fields, the raw token bytes, and the bytes of each
   * image the header lists, in its order (null where none came: a text-only rank, a takedown).
   */
  public record Batch(JsonNode header, ByteBuffer tokens, List<ByteBuffer> images) {
    public long step() {
      return header.path("step").asLong();
    }

    public String stream() {
      return header.path("stream").asText();
    }

    public long index() {
      return header.path("index").asLong();
    }

    public String batchId() {
      return header.path("batch_id").asText(null);
    }

    /** Why the batch has no tokens (it did not decode), or null. */
    public String error() {
      return header.path("error").asText(null);
    }

    /** The token ids, row after row. */
    public int[] ids() {
      ByteBuffer b = tokens.duplicate().order(ByteOrder.LITTLE_ENDIAN);
      boolean narrow = "uint16".equals(header.path("dtype").asText());
      int[] out = new int[b.remaining() / (narrow ? 2 : 4)];
      for (int i = 0; i < out.length; i++) {
        out[i] = narrow ? Short.toUnsignedInt(b.getShort()) : b.getInt();
      }
      return out;
    }
  }

  /** The bridge refused or failed: its message. */
  public static final class BridgeException extends IOException {
    public BridgeException(String message) {
      super(message);
    }
  }

  private final SocketChannel channel;
  private final JsonNode welcome;
  private final int imageCache;

  /** The images this connection keeps, in use order, as the bridge keeps them. */
  private final LinkedHashMap<String, ByteBuffer> kept = new LinkedHashMap<>(64, 0.75f, true);

  private final Map<String, ByteBuffer> incoming = new HashMap<>();

  private BridgeClient(SocketChannel channel, Hello hello) throws IOException {
    this.channel = channel;
    ObjectNode h = Frames.object();
    h.put("protocol", Frames.PROTOCOL);
    h.put("run_id", hello.runId());
    h.put("rank", hello.rank());
    h.put("world_size", hello.worldSize());
    h.put("seed", hello.seed());
    ObjectNode s = h.putObject("streams");
    hello.streams().forEach(s::put);
    if (hello.cursor() != null) {
      h.put("cursor", Base64.getEncoder().encodeToString(hello.cursor()));
    }
    if (hello.prefetch() > 0) {
      h.put("prefetch", hello.prefetch());
    }
    Frames.write(channel, Frames.HELLO, h, null);
    this.welcome = expect(Frames.WELCOME).header();
    this.imageCache = welcome.path("image_cache").asInt(1024);
  }

  /** Connects to a bridge at a TCP address or a {@code UnixDomainSocketAddress}. */
  public static BridgeClient connect(SocketAddress address, Hello hello) throws IOException {
    SocketChannel channel = SocketChannel.open(address);
    try {
      return new BridgeClient(channel, hello);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** The bridge's answer to HELLO: the step this rank starts at, whether it resumed. */
  public JsonNode welcome() {
    return welcome;
  }

  /** The rank's next batch, waiting for it as long as it takes. */
  public Batch next() throws IOException {
    return next(-1);
  }

  /** The rank's next batch, or null if it has not come within {@code waitMs}. */
  public Batch next(long waitMs) throws IOException {
    ObjectNode h = Frames.object();
    h.put("wait_ms", waitMs);
    Frames.write(channel, Frames.NEXT, h, null);
    Frames.Frame f = read();
    if (f.type() == Frames.EMPTY) {
      return null;
    }
    if (f.type() != Frames.BATCH) {
      throw new BridgeException("expected BATCH, got frame type " + f.type());
    }
    List<ByteBuffer> images = new ArrayList<>();
    for (JsonNode entry : f.header().path("images")) {
      String sha = entry.get(1).asText();
      switch (entry.get(9).asText()) {
        case "sent" -> {
          ByteBuffer image = incoming.get(sha); // the batch may list it again
          kept.put(sha, image);
          if (kept.size() > imageCache) {
            kept.remove(kept.keySet().iterator().next());
          }
          images.add(image);
        }
        case "kept" -> images.add(kept.get(sha));
        default -> images.add(null);
      }
    }
    incoming.clear();
    return new Batch(f.header(), f.body(), images);
  }

  /** The cursor for a model checkpoint taken after {@code step} steps. */
  public byte[] checkpoint(long step) throws IOException {
    ObjectNode h = Frames.object();
    h.put("step", step);
    Frames.write(channel, Frames.CHECKPOINT, h, null);
    ByteBuffer body = expect(Frames.CURSOR).body();
    byte[] out = new byte[body.remaining()];
    body.get(out);
    return out;
  }

  /** Sends a step's figures to trainer.metrics.v1 (no answer). */
  public void report(long step, Map<String, Object> figures) throws IOException {
    ObjectNode h = Frames.JSON.valueToTree(figures);
    h.put("step", step);
    Frames.write(channel, Frames.METRICS, h, null);
  }

  private Frames.Frame expect(byte type) throws IOException {
    Frames.Frame f = read();
    if (f.type() != type) {
      throw new BridgeException("expected frame type " + type + ", got " + f.type());
    }
    return f;
  }

  private Frames.Frame read() throws IOException {
    Frames.Frame f = Frames.read(channel, Long.MAX_VALUE);
    while (f.type() == Frames.IMAGE) {
      incoming.put(f.header().path("sha256").asText(), f.body());
      f = Frames.read(channel, Long.MAX_VALUE);
    }
    if (f.type() == Frames.ERROR) {
      throw new BridgeException(f.header().path("error").asText("the bridge failed"));
    }
    return f;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
