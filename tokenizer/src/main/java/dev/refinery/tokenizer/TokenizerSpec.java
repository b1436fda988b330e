package dev.refinery.tokenizer;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which tokenizer a job uses: one of the encodings jtokkit ships, by name, or a tiktoken-format
 * rank file (each line {@code <base64 token bytes> <rank>}) with its split regex and special
 * tokens. A spec travels with the job to every task, the rank file's bytes included, so task
 * managers need no copy of the file.
 *
 * @param name the encoding's name, as batches record it
 * @param ranks the rank file's bytes; {@code null} for a built-in encoding
 * @param pattern the split regex (Python {@code regex} syntax as tiktoken gives it); null if built
 *     in
 * @param specialTokens special tokens and their ids; empty if built in
 * @param endOfText the special token that joins documents and pads sequences
 */
public record TokenizerSpec(
    String name, byte[] ranks, String pattern, Map<String, Integer> specialTokens, String endOfText)
    implements Serializable {
  public static final String END_OF_TEXT = "<|endoftext|>";

  public TokenizerSpec {
    Objects.requireNonNull(name, "name");
    specialTokens = Map.copyOf(specialTokens);
  }

  /**
   * A built-in encoding: {@code cl100k_base}, {@code o200k_base}, {@code p50k_base}, {@code
   * r50k_base}.
   */
  public static TokenizerSpec builtIn(String name) {
    if (!Tokenizer.builtInNames().contains(name)) {
      throw new IllegalArgumentException(
          "unknown encoding '"
              + name
              + "'; built in: "
              + Tokenizer.builtInNames()
              + "; for another, give its rank file, regex and special tokens");
    }
    return new TokenizerSpec(name, null, null, Map.of(), END_OF_TEXT);
  }

  /**
   * An encoding from a tiktoken rank file.
   *
   * @param specialTokens entries {@code <token>=<id>}
   */
  public static TokenizerSpec fromFile(
      String name, Path ranks, String pattern, List<String> specialTokens, String endOfText)
      throws IOException {
    Map<String, Integer> specials = new LinkedHashMap<>();
    for (String entry : specialTokens) {
      int eq = entry.lastIndexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("special token '" + entry + "' is not <token>=<id>");
      }
      try {
        specials.put(
            entry.substring(0, eq).strip(), Integer.parseInt(entry.substring(eq + 1).strip()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("special token '" + entry + "' has no integer id");
      }
    }
    if (!specials.containsKey(endOfText)) {
      throw new IllegalArgumentException(
          "the end-of-text token "
              + endOfText
              + " is not among the special tokens "
              + specials.keySet());
    }
    return new TokenizerSpec(name, Files.readAllBytes(ranks), pattern, specials, endOfText);
  }

  public boolean isBuiltIn() {
    return ranks == null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenizerSpec s
        && name.equals(s.name)
        && java.util.Arrays.equals(ranks, s.ranks)
        && Objects.equals(pattern, s.pattern)
        && specialTokens.equals(s.specialTokens)
        && endOfText.equals(s.endOfText);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, java.util.Arrays.hashCode(ranks), pattern, specialTokens, endOfText);
  }

  @Override
  public String toString() {
    return isBuiltIn()
        ? name
        : name
            + " (rank file of "
            + ranks.length
            + " bytes, "
            + specialTokens.size()
            + " special tokens)";
  }
}
