package dev.refinery.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;

/**
 * The bridge's wire protocol, the same on TCP and on a Unix domain socket. Every message is a
 * frame:
 *
 * <pre>
 *   u8  type
 *   u32 header length (big-endian)
 *   u64 body length (big-endian)
 *   header: UTF-8 JSON object
 *   body:   raw bytes (a batch's tokens, a cursor), often empty
 * </pre>
 *
 * A rank sends {@code HELLO} first and gets {@code WELCOME} or {@code ERROR}; then any number of
 * {@code NEXT} (answered by {@code BATCH}, or {@code EMPTY} when it would not wait), {@code
 * CHECKPOINT} (answered by {@code CURSOR}, the cursor in the body) and {@code METRICS} (no answer).
 * The body of {@code BATCH} is the batch's tokens as the tokenizer wrote them, little-endian {@code
 * dtype}, rows of {@code row_width}: {@code numpy.frombuffer(body, "<u4").reshape(rows,
 * row_width)}. A batch that holds images is preceded by one {@code IMAGE} frame (header: {@code
 * sha256}, {@code media_type}, {@code width}, {@code height}; body: the image's bytes as stored)
 * for each of its images the connection has not kept (see {@code RankSession}), unless the rank
 * asked for {@code "images": "none"}.
 */
public final class Frames {
  public static final int PROTOCOL = 1;
  public static final byte HELLO = 1;
  public static final byte WELCOME = 2;
  public static final byte NEXT = 3;
  public static final byte BATCH = 4;
  public static final byte EMPTY = 5;
  public static final byte CHECKPOINT = 6;
  public static final byte CURSOR = 7;
  public static final byte METRICS = 8;
  public static final byte IMAGE = 9;
  public static final byte ERROR = 15;

  /** The largest header accepted: headers are small JSON. */
  public static final int MAX_HEADER = 1 << 20;

  /** The largest body accepted from a rank (cursors): batches only travel to ranks. */
  public static final long MAX_INBOUND_BODY = 64L << 20;

  static final ObjectMapper JSON = new ObjectMapper();

  private Frames() {}

  /** A frame read off a channel. */
  public record Frame(byte type, JsonNode header, ByteBuffer body) {}

  /** The protocol was broken: the message says how. */
  public static final class ProtocolException extends IOException {
    public ProtocolException(String message) {
      super(message);
    }
  }

  public static void write(ByteChannel channel, byte type, ObjectNode header, ByteBuffer body)
      throws IOException {
    byte[] h = JSON.writeValueAsBytes(header);
    ByteBuffer prefix = ByteBuffer.allocate(13 + h.length);
    prefix.put(type).putInt(h.length).putLong(body == null ? 0 : body.remaining()).put(h).flip();
    if (body == null || !(channel instanceof GatheringByteChannel gathering)) {
      while (prefix.hasRemaining()) {
        channel.write(prefix);
      }
      if (body != null) {
        ByteBuffer b = body.duplicate();
        while (b.hasRemaining()) {
          channel.write(b);
        }
      }
      return;
    }
    ByteBuffer[] parts = {prefix, body.duplicate()};
    while (parts[1].hasRemaining()) {
      gathering.write(parts);
    }
  }

  /**
   * The next frame.
   *
   * @throws EOFException when the peer closed the connection between frames
   * @throws ProtocolException when what came is not a frame
   */
  public static Frame read(ByteChannel channel, long maxBody) throws IOException {
    ByteBuffer prefix = ByteBuffer.allocate(13);
    if (!fill(channel, prefix, true)) {
      throw new EOFException("closed");
    }
    prefix.flip();
    byte type = prefix.get();
    int headerLength = prefix.getInt();
    long bodyLength = prefix.getLong();
    if (headerLength < 0 || headerLength > MAX_HEADER) {
      throw new ProtocolException(
          "header of " + headerLength + " bytes (at most " + MAX_HEADER + ")");
    }
    if (bodyLength < 0 || bodyLength > maxBody) {
      throw new ProtocolException("body of " + bodyLength + " bytes (at most " + maxBody + ")");
    }
    ByteBuffer h = ByteBuffer.allocate(headerLength);
    fill(channel, h, false);
    JsonNode header;
    try {
      header = headerLength == 0 ? JSON.createObjectNode() : JSON.readTree(h.array());
    } catch (IOException e) {
      throw new ProtocolException("header is not JSON: " + e.getMessage());
    }
    if (header == null || !header.isObject()) {
      throw new ProtocolException("header is not a JSON object");
    }
    ByteBuffer body = ByteBuffer.allocate((int) bodyLength);
    fill(channel, body, false);
    body.flip();
    return new Frame(type, header, body);
  }

  /** Fills the buffer; false if the channel ended before the first byte and that is allowed. */
  private static boolean fill(ByteChannel channel, ByteBuffer buffer, boolean endAllowed)
      throws IOException {
    boolean first = true;
    while (buffer.hasRemaining()) {
      if (channel.read(buffer) < 0) {
        if (first && endAllowed && buffer.position() == 0) {
          return false;
        }
        throw new ProtocolException("connection closed inside a frame");
      }
      first = false;
    }
    return true;
  }

  static ObjectNode object() {
    return JSON.createObjectNode();
  }
}
