package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.schemas.TokenDType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void aBadRankFileOrRegexIsAnErrorThatSaysWhere(@TempDir Path tmp) throws Exception {
    Path ranks = tmp.resolve("bad.tiktoken");
    Files.writeString(ranks, "IQ== 0\nIg== 1\nnot-base64!! two\n");
    TokenizerSpec bad =
        TokenizerSpec.fromFile("bad", ranks, "\\S+", List.of("<|endoftext|>=3"), "<|endoftext|>");
    assertThatThrownBy(() -> Tokenizer.of(bad)).hasMessageContaining("rank file line 3");

    Files.writeString(ranks, "IQ== 0\nIg== 1\n");
    TokenizerSpec regex =
        TokenizerSpec.fromFile(
            "regex", ranks, "(unclosed", List.of("<|endoftext|>=3"), "<|endoftext|>");
    assertThatThrownBy(() -> Tokenizer.of(regex)).hasMessageContaining("does not compile");
    assertThatThrownBy(
            () -> TokenizerSpec.fromFile("x", ranks, "\\S+", List.of("<|eot|>=3"), "<|endoftext|>"))
        .hasMessageContaining("<|endoftext|> is not among the special tokens");
    assertThatThrownBy(
            () ->
                TokenizerSpec.fromFile(
                    "x", ranks, "\\S+", List.of("<|endoftext|>"), "<|endoftext|>"))
        .hasMessageContaining("is not <token>=<id>");
  }

  @Test
  void aSmallCustomEncodingHasItsVocabularyAndEndOfText(@TempDir Path tmp) throws Exception {
    // bytes a, b, ab as ranks 0, 1, 2; end-of-text 3
    Path ranks = tmp.resolve("tiny.tiktoken");
    Files.writeString(ranks, "YQ== 0\nYg== 1\nYWI= 2\n");
    Tokenizer t =
        Tokenizer.of(
            TokenizerSpec.fromFile(
                "tiny", ranks, "\\S+", List.of("<|endoftext|>=3"), "<|endoftext|>"));
    assertThat(t.encode("abab")).containsExactly(2, 2);
    assertThat(t.encode("ba")).containsExactly(1, 0);
    assertThat(t.endOfText()).isEqualTo(3);
    assertThat(t.vocabularySize()).isEqualTo(4);
    assertThat(t.dtype()).isEqualTo(TokenDType.UINT16);
  }

  @Test
  void settingsNameWhatIsMissing() {
    assertThatThrownBy(
            () -> new TokenizerConfig(Map.of(TokenizerConfig.ENCODING, "mine")).tokenizerSpec())
        .hasMessageContaining("tokenizer.encoding.file");
    assertThatThrownBy(
            () ->
                new TokenizerConfig(
                        Map.of(
                            TokenizerConfig.ENCODING,
                            "mine",
                            TokenizerConfig.ENCODING_FILE,
                            "/no/such/file"))
                    .tokenizerSpec())
        .hasMessageContaining("tokenizer.encoding.pattern");
    assertThatThrownBy(
            () ->
                new TokenizerConfig(
                        Map.of(
                            TokenizerConfig.ENCODING,
                            "mine",
                            TokenizerConfig.ENCODING_FILE,
                            "/no/such/file",
                            TokenizerConfig.ENCODING_PATTERN,
                            "\\S+",
                            TokenizerConfig.ENCODING_SPECIAL_TOKENS,
                            "<|endoftext|>=3"))
                    .tokenizerSpec())
        .hasMessageContaining("/no/such/file")
        .hasMessageContaining("cannot read");
  }
}
