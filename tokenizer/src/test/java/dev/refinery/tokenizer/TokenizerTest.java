package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.schemas.TokenDType;
import org.junit.jupiter.api.Test;

class TokenizerTest {

  @Test
  void cl100kIsGpt4sEncoding() {
    Tokenizer t = Tokenizer.forName("cl100k_base");

    // tiktoken: enc = tiktoken.get_encoding("cl100k_base"); enc.encode("hello world") == [15339,
    // 1917]
    assertThat(t.encode("hello world")).containsExactly(15339, 1917);
    assertThat(t.endOfText()).isEqualTo(100257);
    assertThat(t.dtype()).isEqualTo(TokenDType.UINT32);
    assertThat(t.decode(new int[] {t.endOfText()}, 0, 1)).isEqualTo("<|endoftext|>");
  }

  @Test
  void specialTokenTextInADocumentIsOrdinaryText() {
    Tokenizer t = Tokenizer.forName("cl100k_base");

    int[] ids = t.encode("a <|endoftext|> b");

    assertThat(ids).doesNotContain(t.endOfText());
    assertThat(t.decode(ids, 0, ids.length)).isEqualTo("a <|endoftext|> b");
  }

  @Test
  void gpt2SizedVocabulariesFitUint16() {
    assertThat(Tokenizer.forName("r50k_base").dtype()).isEqualTo(TokenDType.UINT16);
    assertThat(Tokenizer.forName("o200k_base").endOfText()).isEqualTo(199_999);
  }

  @Test
  void unknownEncodingListsTheKnownOnes() {
    assertThatThrownBy(() -> Tokenizer.forName("gpt5_base"))
        .hasMessageContaining("gpt5_base")
        .hasMessageContaining("cl100k_base");
  }
}
