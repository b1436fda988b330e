package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Token ids bit-identical to OpenAI's tiktoken: the golden files in {@code golden/} were written by
 * tiktoken itself ({@code tokenizer/golden/generate.mjs}, npm tiktoken, its Rust core) for a corpus
 * of CJK, emoji, combining marks, white-space runs, code and special-token text. The built-in
 * encodings and the same encodings loaded from a tiktoken rank file must both match every text.
 */
class TiktokenParityTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String CL100K_PATTERN =
      "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s++$"
          + "|\\s*[\\r\\n]|\\s+(?!\\S)|\\s";
  static final String O200K_PATTERN =
      String.join(
          "|",
          "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
          "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
          "\\p{N}{1,3}",
          " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
          "\\s*[\\r\\n]+",
          "\\s+(?!\\S)",
          "\\s+");
  static final Map<String, String> PATTERNS =
      Map.of("cl100k_base", CL100K_PATTERN, "o200k_base", O200K_PATTERN);
  static final Map<String, List<String>> SPECIALS =
      Map.of(
          "cl100k_base",
              List.of(
                  "<|endoftext|>=100257",
                  "<|fim_prefix|>=100258",
                  "<|fim_middle|>=100259",
                  "<|fim_suffix|>=100260",
                  "<|endofprompt|>=100276"),
          "o200k_base", List.of("<|endoftext|>=199999", "<|endofprompt|>=200018"));

  @TempDir Path tmp;

  static Map<String, String> corpus() throws IOException {
    Map<String, String> texts = new LinkedHashMap<>();
    for (JsonNode line : lines("corpus.jsonl")) {
      texts.put(line.get("id").asText(), line.get("text").asText());
    }
    return texts;
  }

  static List<JsonNode> lines(String file) throws IOException {
    try (InputStream in = TiktokenParityTest.class.getResourceAsStream("/golden/" + file)) {
      List<JsonNode> out = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank()) {
          out.add(JSON.readTree(line));
        }
      }
      return out;
    }
  }

  /** The encoding's rank file as jtokkit ships it, the same bytes as OpenAI's. */
  Path rankFile(String encoding) throws IOException {
    Path file = tmp.resolve(encoding + ".tiktoken");
    try (InputStream in =
        com.knuddels.jtokkit.Encodings.class.getResourceAsStream(
            "/com/knuddels/jtokkit/" + encoding + ".tiktoken")) {
      Files.write(file, in.readAllBytes());
    }
    return file;
  }

  @ParameterizedTest
  @ValueSource(strings = {"cl100k_base", "o200k_base"})
  void everyGoldenTextEncodesToTiktokensIds(String encoding) throws Exception {
    Map<String, String> corpus = corpus();
    Tokenizer builtIn = Tokenizer.forName(encoding);
    Tokenizer fromFile =
        Tokenizer.of(
            TokenizerSpec.fromFile(
                encoding + "-file",
                rankFile(encoding),
                PATTERNS.get(encoding),
                SPECIALS.get(encoding),
                TokenizerSpec.END_OF_TEXT));
    List<JsonNode> golden = lines(encoding + ".jsonl");
    assertThat(golden).hasSize(corpus.size());
    int identical = 0;
    for (JsonNode line : golden) {
      String id = line.get("id").asText();
      int[] expected = new int[line.get("ids").size()];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = line.get("ids").get(i).asInt();
      }
      String text = corpus.get(id);
      assertThat(builtIn.encode(text))
          .as("%s, built in: %s", encoding, id)
          .containsExactly(expected);
      assertThat(fromFile.encode(text))
          .as("%s, from its rank file: %s", encoding, id)
          .containsExactly(expected);
      assertThat(builtIn.decode(expected, 0, expected.length))
          .as("round trip %s", id)
          .isEqualTo(text);
      identical++;
    }
    assertThat(identical).isEqualTo(corpus.size());
    assertThat(fromFile.endOfText()).isEqualTo(builtIn.endOfText());
    assertThat(fromFile.vocabularySize()).isEqualTo(builtIn.vocabularySize());
  }
}
