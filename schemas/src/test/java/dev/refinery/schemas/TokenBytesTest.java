package dev.refinery.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class TokenBytesTest {

  @Test
  void picksTheNarrowestDtype() {
    assertThat(TokenBytes.dtypeFor(50_257)).isEqualTo(TokenDType.UINT16);
    assertThat(TokenBytes.dtypeFor(65_536)).isEqualTo(TokenDType.UINT16);
    assertThat(TokenBytes.dtypeFor(100_277)).isEqualTo(TokenDType.UINT32);
  }

  @Test
  void uint16IsLittleEndianTwoBytes() {
    ByteBuffer bytes = TokenBytes.encode(new int[] {9, 0x1234, 0xFFFF}, 1, 2, TokenDType.UINT16);

    assertThat(bytes.remaining()).isEqualTo(4);
    assertThat(new byte[] {bytes.get(0), bytes.get(1), bytes.get(2), bytes.get(3)})
        .containsExactly(0x34, 0x12, 0xFF, 0xFF);
    assertThat(TokenBytes.decode(bytes, TokenDType.UINT16)).containsExactly(0x1234, 0xFFFF);
  }

  @Test
  void uint32RoundTrips() {
    int[] ids = {0, 100_257, 199_997};
    assertThat(
            TokenBytes.decode(TokenBytes.encode(ids, 0, 3, TokenDType.UINT32), TokenDType.UINT32))
        .containsExactly(ids);
  }

  @Test
  void refusesIdsThatDoNotFitAndRaggedBytes() {
    assertThatThrownBy(() -> TokenBytes.encode(new int[] {70_000}, 0, 1, TokenDType.UINT16))
        .hasMessageContaining("does not fit uint16");
    assertThatThrownBy(() -> TokenBytes.decode(ByteBuffer.wrap(new byte[3]), TokenDType.UINT16))
        .hasMessageContaining("not a multiple of 2");
  }

  @Test
  void batchTokensMustFillTheBatch() {
    TokenBatch batch = Samples.batch();
    assertThat(TokenBytes.of(batch)).containsExactly(100257, 1, 2, 3);

    batch.setNumSequences(2);
    assertThatThrownBy(() -> TokenBytes.of(batch))
        .hasMessageContaining("not num_sequences * row width = 8");
  }

  @Test
  void withLabelTokensARowIsOneLonger() {
    TokenBatch batch = Samples.batch();
    batch.setSeqLen(3);
    batch.setLabelToken(true);
    assertThat(TokenBytes.rowWidth(batch)).isEqualTo(4);
    assertThat(TokenBytes.of(batch)).hasSize(4);
    DocumentSpan span =
        DocumentSpan.newBuilder(batch.getSpans().get(0)).setSequence(2).setOffset(1).build();
    assertThat(TokenBytes.position(batch, span)).isEqualTo(9);
  }
}
