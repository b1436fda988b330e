package dev.refinery.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.GptBytePairEncodingParams;
import com.knuddels.jtokkit.api.IntArrayList;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.TokenDType;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A tiktoken encoding, with what packing needs: the end-of-text id and the vocabulary size. Built
 * in: GPT-4's {@code cl100k_base} (the default), GPT-4o's {@code o200k_base}, {@code p50k_base} and
 * {@code r50k_base}; any other from a tiktoken rank file ({@link TokenizerSpec}). Text is encoded
 * by Refinery's own {@link BytePairEncoder} (about twice jtokkit's speed on {@code cl100k_base}),
 * with the ranks of jtokkit's rank files for the built-in encodings; decoding, and a rank file the
 * encoder's table cannot hold (a token of over 255 bytes, a rank of 2^24 or more), go through
 * jtokkit. Ids are tiktoken's, bit for bit: {@code TiktokenParityTest} holds them to golden files
 * written by tiktoken itself.
 *
 * <p>Document text is encoded as ordinary text: a literal {@code <|endoftext|>} in a document is
 * tokenized as the characters it is, never as the special token ({@code encode_ordinary} in
 * tiktoken). Instances are cached per spec and thread-safe.
 */
public final class Tokenizer {
  private static final String GPT2_SPLIT =
      "'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

  /** tiktoken's n_vocab and end-of-text id of the encodings jtokkit ships. */
  private record Spec(int vocabularySize, int endOfText) {}

  private static final Map<String, Spec> SPECS =
      Map.of(
          "cl100k_base", new Spec(100_277, 100_257),
          "o200k_base", new Spec(200_019, 199_999),
          "p50k_base", new Spec(50_281, 50_256),
          "r50k_base", new Spec(50_257, 50_256));
  private static final ConcurrentHashMap<TokenizerSpec, Tokenizer> CACHE =
      new ConcurrentHashMap<>();
  private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

  /**
   * How each built-in encoding's text is split: a scan for GPT-4's and GPT-4o's, the regex jtokkit
   * compiles for GPT-2's and GPT-3's.
   */
  static BytePairEncoder builtInEncoder(String name, int largePiece) {
    RankTable ranks = new RankTable(builtInRanks(name));
    return switch (name) {
      case "cl100k_base" -> new BytePairEncoder(ranks, Cl100kSplit::pieceEnd, null, largePiece);
      case "o200k_base" -> new BytePairEncoder(ranks, O200kSplit::pieceEnd, null, largePiece);
      default ->
          new BytePairEncoder(
              ranks,
              null,
              Pattern.compile(GPT2_SPLIT, Pattern.UNICODE_CHARACTER_CLASS),
              largePiece);
    };
  }

  private final String name;
  private final Once<Encoding> jtokkit; // decodes, and encodes what the encoder cannot
  private final Spec spec;
  private final Once<BytePairEncoder> encoder; // null: jtokkit encodes

  private Tokenizer(String name, Once<Encoding> jtokkit, Spec spec, Once<BytePairEncoder> encoder) {
    this.name = name;
    this.jtokkit = jtokkit;
    this.spec = spec;
    this.encoder = encoder;
  }

  /**
   * A value made on first use, once: a tokenizer that only decodes never loads the encoder's table,
   * one that only encodes never loads jtokkit's (each takes 0.3 to 1 s and tens of MB).
   */
  private static final class Once<T> {
    private Supplier<T> make;
    private T value;
    private volatile boolean made;

    Once(Supplier<T> make) {
      this.make = make;
    }

    T get() {
      if (!made) {
        synchronized (this) {
          if (!made) {
            value = make.get();
            make = null;
            made = true;
          }
        }
      }
      return value;
    }
  }

  /**
   * A built-in encoding by name.
   *
   * @throws IllegalArgumentException for a name that is not one of {@link #builtInNames()}
   */
  public static Tokenizer forName(String name) {
    return of(TokenizerSpec.builtIn(name));
  }

  /** The tokenizer of a spec, built once per JVM. */
  public static Tokenizer of(TokenizerSpec spec) {
    return CACHE.computeIfAbsent(spec, Tokenizer::build);
  }

  private static Tokenizer build(TokenizerSpec s) {
    if (s.isBuiltIn()) {
      return new Tokenizer(
          s.name(),
          new Once<>(() -> REGISTRY.getEncoding(s.name()).orElseThrow()),
          SPECS.get(s.name()),
          new Once<>(() -> builtInEncoder(s.name(), BytePairEncoder.LARGE_PIECE)));
    }
    Map<byte[], Integer> ranks = ranks(s.ranks());
    int vocabulary = 0;
    for (int rank : ranks.values()) {
      vocabulary = Math.max(vocabulary, rank + 1);
    }
    for (int id : s.specialTokens().values()) {
      vocabulary = Math.max(vocabulary, id + 1);
    }
    Pattern pattern;
    try {
      // tiktoken's regexes are Python regex syntax: \s and \d are Unicode there
      pattern = Pattern.compile(s.pattern(), Pattern.UNICODE_CHARACTER_CLASS);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "the split regex of " + s.name() + " does not compile: " + e.getMessage());
    }
    Encoding encoding =
        Encodings.newDefaultEncodingRegistry()
            .registerGptBytePairEncoding(
                new GptBytePairEncodingParams(s.name(), pattern, ranks, s.specialTokens()))
            .getEncoding(s.name())
            .orElseThrow();
    return new Tokenizer(
        s.name(),
        new Once<>(() -> encoding),
        new Spec(vocabulary, s.specialTokens().get(s.endOfText())),
        new Once<>(
            () -> {
              try {
                return new BytePairEncoder(new RankTable(ranks), pattern);
              } catch (IllegalArgumentException e) {
                return null; // jtokkit encodes what the rank table does not hold
              }
            }));
  }

  /** The ranks of an encoding jtokkit ships, from its rank file in jtokkit's jar. */
  static Map<byte[], Integer> builtInRanks(String name) {
    String resource = "/com/knuddels/jtokkit/" + name + ".tiktoken";
    try (java.io.InputStream in = Encodings.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is not in jtokkit's jar");
      }
      return ranks(in.readAllBytes());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("reading " + resource + " from jtokkit's jar", e);
    }
  }

  /**
   * Parses a tiktoken rank file: {@code <base64 bytes> <rank>} a line; a bad line is an error
   * naming it.
   */
  static Map<byte[], Integer> ranks(byte[] file) {
    Map<byte[], Integer> ranks = new HashMap<>();
    String[] lines = new String(file, StandardCharsets.US_ASCII).split("\n");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      int space = line.indexOf(' ');
      try {
        if (space <= 0) {
          throw new IllegalArgumentException("no rank");
        }
        ranks.put(
            Base64.getDecoder().decode(line.substring(0, space)),
            Integer.parseInt(line.substring(space + 1).strip()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "rank file line "
                + (i + 1)
                + " is not <base64 bytes> <rank>: "
                + (line.length() > 60 ? line.substring(0, 60) + "..." : line));
      }
    }
    if (ranks.isEmpty()) {
      throw new IllegalArgumentException("the rank file has no ranks");
    }
    return ranks;
  }

  public static java.util.Set<String> builtInNames() {
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
    BytePairEncoder own = encoder.get();
    return own != null ? own.encode(text) : jtokkit.get().encodeOrdinary(text).toArray();
  }

  /** The bytes that token ids stand for (a cut inside a multi-byte character stays cut). */
  public byte[] decodeBytes(int[] tokens, int from, int count) {
    IntArrayList list = new IntArrayList(count);
    for (int i = from; i < from + count; i++) {
      list.add(tokens[i]);
    }
    return jtokkit.get().decodeBytes(list);
  }

  /** The text of token ids. */
  public String decode(int[] tokens, int from, int count) {
    return new String(decodeBytes(tokens, from, count), java.nio.charset.StandardCharsets.UTF_8);
  }
}
