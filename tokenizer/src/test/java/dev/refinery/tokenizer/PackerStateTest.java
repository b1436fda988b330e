package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The packer's checkpointed state: the bytes of every released version are kept here and must be
 * read by this build (a checkpoint or savepoint of an older tokenizer restores), and the newest is
 * written exactly.
 */
class PackerStateTest {
  /**
   * Version 1: a concat packer (4 tokens a row, 2 rows a batch, end of text 99) after one document
   * of 5 tokens: one finished row (1 2 3 4) and an open one (5 99).
   */
  private static final String V1 =
      "0100000000040000000002000000630000000000000000000000000000000100000004000000000000000100"
          + "000002000000030000000400000001000264310100077765622d73726301000a5055424c49435f574542"
          + "0100074343302d312e300000010003776562000000000000000400000000000000050000000100000002"
          + "00000000000000050000006300000001000264310100077765622d73726301000a5055424c49435f5745"
          + "420100074343302d312e30000001000377656200000000000000010000000400000005";

  static Packer packer() {
    SpanSource source = new SpanSource();
    source.name = "web-src";
    source.kind = "PUBLIC_WEB";
    source.spdxId = "CC0-1.0";
    source.stream = "web";
    Packer p = new ConcatPacker(4, false, 2, 99);
    p.add(new TokenizedDocument("d1", "web", source, new int[] {1, 2, 3, 4, 5}));
    return p;
  }

  static byte[] write(Packer p) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    p.write(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }

  static Packer read(byte[] bytes) throws IOException {
    return Packer.read(new DataInputStream(new ByteArrayInputStream(bytes)));
  }

  @Test
  void version1IsWrittenExactlyAndReadBack() throws Exception {
    assertThat(HexFormat.of().formatHex(write(packer()))).isEqualTo(V1);
    Packer restored = read(HexFormat.of().parseHex(V1));
    assertThat(write(restored)).isEqualTo(HexFormat.of().parseHex(V1));
    // it goes on where it was: the next document fills the open row and finishes the batch
    var source = new SpanSource();
    var batches = restored.add(new TokenizedDocument("d2", "web", source, new int[] {6, 7}));
    assertThat(batches)
        .singleElement()
        .satisfies(b -> assertThat(b.tokens()).containsExactly(1, 2, 3, 4, 5, 99, 6, 7));
  }

  @Test
  void aVersionThisBuildDoesNotKnowIsRefusedNotMisread() {
    byte[] future = HexFormat.of().parseHex("02" + V1.substring(2));
    assertThatThrownBy(() -> read(future)).hasMessageContaining("version 2");
  }
}
