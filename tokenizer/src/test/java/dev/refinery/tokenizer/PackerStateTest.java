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

  /** Version 2: the same packer, its document with a URL, which its spans carry. */
  static final String V2 =
      "0200000000040000000002000000630000000000000000000000000000000100000004000000000000000100"
          + "000002000000030000000400000001000264310100077765622d73726301000a5055424c49435f5745420100"
          + "074343302d312e3000000100037765620000000000000004000000000000000501001568747470733a2f2f65"
          + "78616d706c652e6f72672f610000000100000002000000000000000500000063000000010002643101000777"
          + "65622d73726301000a5055424c49435f5745420100074343302d312e30000001000377656200000000000000"
          + "01000000040000000501001568747470733a2f2f6578616d706c652e6f72672f61";

  static Packer packer() {
    return packer(null);
  }

  static Packer packer(String url) {
    return packer(url, null);
  }

  /** Version 3: the same, its document a conversation whose tokens 1 to 3 are learned from. */
  static final String V3 =
      "0300000000040000000002000000630000000000000000000000000000000100000004000000000000000100"
          + "000002000000030000000400000001000264310100077765622d73726301000a5055424c49435f5745420100"
          + "074343302d312e3000000100037765620000000000000004000000000000000501001568747470733a2f2f65"
          + "78616d706c652e6f72672f610000000200000001000000030000000100000002000000000000000500000063"
          + "00000001000264310100077765622d73726301000a5055424c49435f5745420100074343302d312e30000001"
          + "00037765620000000000000001000000040000000501001568747470733a2f2f6578616d706c652e6f72672f"
          + "61000000020000000100000003";

  // version 4: version 3 and each row's images (a count, 0 here)
  static final String V4 =
      "0400000000040000000002000000630000000000000000000000000000000100000004000000000000000100000002000000030000000400000001000264310100077765622d73726301000a5055424c49435f5745420100074343302d312e3000000100037765620000000000000004000000000000000501001568747470733a2f2f6578616d706c652e6f72672f6100000002000000010000000300000000000000010000000200000000000000050000006300000001000264310100077765622d73726301000a5055424c49435f5745420100074343302d312e3000000100037765620000000000000001000000040000000501001568747470733a2f2f6578616d706c652e6f72672f6100000002000000010000000300000000";

  static Packer packer(String url, int[] lossRanges) {
    SpanSource source = new SpanSource();
    source.name = "web-src";
    source.kind = "PUBLIC_WEB";
    source.spdxId = "CC0-1.0";
    source.stream = "web";
    Packer p = new ConcatPacker(4, false, 2, 99);
    TokenizedDocument doc =
        new TokenizedDocument("d1", "web", source, new int[] {1, 2, 3, 4, 5}, url);
    doc.lossRanges = lossRanges;
    p.add(doc);
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
  void version4IsWrittenExactlyAndVersion3IsReadWithItsLossRanges() throws Exception {
    String written =
        HexFormat.of().formatHex(write(packer("https://example.org/a", new int[] {1, 3})));
    assertThat(written).isEqualTo(V4);
    Packer restored = read(HexFormat.of().parseHex(V3));
    assertThat(HexFormat.of().formatHex(write(restored))).isEqualTo(V4);
    var batches =
        restored.add(new TokenizedDocument("d2", "web", new SpanSource(), new int[] {6, 7}));
    // d1's first row holds its tokens 0-3 (ranges 1-3 there), its second row token 4 (none)
    assertThat(batches.get(0).spans())
        .extracting(sp -> sp.docId + " " + sp.lossRangesInSpan())
        .containsExactly("d1 [1, 3]", "d1 []", "d2 null");
  }

  @Test
  void version2IsReadWithItsUrls() throws Exception {
    Packer restored = read(HexFormat.of().parseHex(V2));
    assertThat(write(restored)).isEqualTo(write(packer("https://example.org/a")));
    var batches =
        restored.add(new TokenizedDocument("d2", "web", new SpanSource(), new int[] {6, 7}));
    assertThat(batches.get(0).spans())
        .extracting(s -> s.docId + " " + s.url)
        .containsExactly("d1 https://example.org/a", "d1 https://example.org/a", "d2 null");
  }

  @Test
  void version1IsReadAndGoesOnWhereItWas() throws Exception {
    Packer restored = read(HexFormat.of().parseHex(V1));
    // written again in the newest version, the same state: spans without a URL
    assertThat(write(restored)).isEqualTo(write(packer()));
    // it goes on where it was: the next document fills the open row and finishes the batch
    var source = new SpanSource();
    var batches = restored.add(new TokenizedDocument("d2", "web", source, new int[] {6, 7}));
    assertThat(batches)
        .singleElement()
        .satisfies(b -> assertThat(b.tokens()).containsExactly(1, 2, 3, 4, 5, 99, 6, 7));
  }

  @Test
  void aVersionThisBuildDoesNotKnowIsRefusedNotMisread() {
    byte[] future = HexFormat.of().parseHex("05" + V1.substring(2));
    assertThatThrownBy(() -> read(future)).hasMessageContaining("version 5");
  }
}
