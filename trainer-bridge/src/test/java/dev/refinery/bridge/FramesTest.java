package dev.refinery.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FramesTest {
  /** A channel over bytes: reads what it holds, writes into a buffer. */
  private static final class Bytes implements ByteChannel {
    private final ReadableByteChannel in;
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();
    private final WritableByteChannel out = Channels.newChannel(written);

    Bytes(byte[] content) {
      in = Channels.newChannel(new java.io.ByteArrayInputStream(content));
    }

    @Override
    public int read(ByteBuffer dst) throws java.io.IOException {
      return in.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws java.io.IOException {
      return out.write(src);
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  private static byte[] frame(byte type, String header, byte[] body) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(13 + h.length + body.length)
        .put(type)
        .putInt(h.length)
        .putLong(body.length)
        .put(h)
        .put(body)
        .array();
  }

  @Test
  void aFrameIsItsTypeHeaderLengthBodyLengthHeaderAndBody() throws Exception {
    Bytes channel = new Bytes(new byte[0]);
    Frames.write(
        channel,
        Frames.BATCH,
        Frames.object().put("stream", "web"),
        ByteBuffer.wrap(new byte[] {1, 2, 3}));
    byte[] written = channel.written.toByteArray();
    assertThat(written)
        .isEqualTo(frame(Frames.BATCH, "{\"stream\":\"web\"}", new byte[] {1, 2, 3}));

    Frames.Frame read = Frames.read(new Bytes(written), 10);
    assertThat(read.type()).isEqualTo(Frames.BATCH);
    assertThat(read.header().get("stream").asText()).isEqualTo("web");
    assertThat(read.body().remaining()).isEqualTo(3);
  }

  @Test
  void anEmptyHeaderIsAnEmptyObject() throws Exception {
    Frames.Frame read = Frames.read(new Bytes(frame(Frames.NEXT, "", new byte[0])), 0);
    assertThat(read.header().isObject()).isTrue();
    assertThat(read.header().size()).isZero();
  }

  @Test
  void aClosedConnectionBetweenFramesIsTheEnd() {
    assertThatThrownBy(() -> Frames.read(new Bytes(new byte[0]), 10))
        .isInstanceOf(EOFException.class);
  }

  @Test
  void whatIsNotAFrameIsAProtocolError() {
    byte[] good = frame(Frames.HELLO, "{\"a\":1}", new byte[] {9});
    // cut inside the header, inside the body
    for (int cut : new int[] {5, 15, good.length - 1}) {
      assertThatThrownBy(() -> Frames.read(new Bytes(Arrays.copyOf(good, cut)), 10))
          .isInstanceOf(Frames.ProtocolException.class)
          .hasMessageContaining("inside a frame");
    }
    assertThatThrownBy(() -> Frames.read(new Bytes(frame(Frames.HELLO, "{nope", new byte[0])), 10))
        .hasMessageContaining("not JSON");
    assertThatThrownBy(() -> Frames.read(new Bytes(frame(Frames.HELLO, "[1]", new byte[0])), 10))
        .hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> Frames.read(new Bytes(frame(Frames.HELLO, "{}", new byte[11])), 10))
        .hasMessageContaining("body of 11 bytes (at most 10)");
    byte[] hugeHeader =
        ByteBuffer.allocate(13).put(Frames.HELLO).putInt(Frames.MAX_HEADER + 1).putLong(0).array();
    assertThatThrownBy(() -> Frames.read(new Bytes(hugeHeader), 10))
        .hasMessageContaining("header of");
    byte[] negativeBody = ByteBuffer.allocate(13).put(Frames.HELLO).putInt(0).putLong(-1).array();
    assertThatThrownBy(() -> Frames.read(new Bytes(negativeBody), 10))
        .isInstanceOf(Frames.ProtocolException.class);
  }
}
