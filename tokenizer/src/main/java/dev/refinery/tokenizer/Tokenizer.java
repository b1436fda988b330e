package dev.refinery.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.IntArrayList;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.TokenDType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A tiktoken encoding by name (GPT-4's {@code cl100k_base} by default, {@code o200k_base} for
 * GPT-4o), through jtokkit, with what packing needs: the end-of-text id and the vocabulary size.
 *
 * <p>Document text is encoded as ordinary text: a literal {@code <|endoftext|>} in a document is
 * tokenized as the characters it is, never as the special token ({@code encode_ordinary} in
 * tiktoken). Instances are cached per name and thread-safe.
 */
public final class Tokenizer {
  /** tiktoken's n_vocab and end-of-text id of the encodings jtokkit ships. */
  private record Spec(int vocabularySize, int endOfText) {}

  private static final Map<String, Spec> SPECS =
      Map.of(
          "cl100k_base", new Spec(100_277, 100_257),
          "o200k_base", new Spec(200_019, 199_999),
          "p50k_base", new Spec(50_281, 50_256),
          "r50k_base", new Spec(50_257, 50_256));
  private static final ConcurrentHashMap<String, Tokenizer> CACHE = new ConcurrentHashMap<>();
  private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

  private final String name;
  private final Encoding encoding;
  private final Spec spec;

  private Tokenizer(String name, Encoding encoding, Spec spec) {
    this.name = name;
    this.encoding = encoding;
    this.spec = spec;
  }

  /**
   * The tokenizer of an encoding name.
   *
   * @throws IllegalArgumentException for a name that is not one of {@link #names()}
   */
  public static Tokenizer forName(String name) {
    return CACHE.computeIfAbsent(
        name,
        n -> {
          Spec spec = SPECS.get(n);
          if (spec == null) {
            throw new IllegalArgumentException("unknown encoding '" + n + "'; known: " + names());
          }
          return new Tokenizer(n, REGISTRY.getEncoding(n).orElseThrow(), spec);
        });
  }

  public static java.util.Set<String> names() {
    return new java.util.TreeSet<>(SPECS.keySet());
  }

  public String name() {
    return name;
  }

  public int endOfText() {
    return spec.endOfText();
  }

  public int vocabularySize() {
    return spec.vocabularySize();
  }

  public TokenDType dtype() {
    return TokenBytes.dtypeFor(vocabularySize());
  }

  /** Token ids of a text, special-token text included as ordinary text. */
  public int[] encode(String text) {
    return encoding.encodeOrdinary(text).toArray();
  }

  /** The bytes that token ids stand for (a cut inside a multi-byte character stays cut). */
  public byte[] decodeBytes(int[] tokens, int from, int count) {
    IntArrayList list = new IntArrayList(count);
    for (int i = from; i < from + count; i++) {
      list.add(tokens[i]);
    }
    return encoding.decodeBytes(list);
  }

  /** The text of token ids. */
  public String decode(int[] tokens, int from, int count) {
    return new String(decodeBytes(tokens, from, count), java.nio.charset.StandardCharsets.UTF_8);
  }
}
