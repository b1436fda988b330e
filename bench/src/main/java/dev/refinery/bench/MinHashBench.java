package dev.refinery.bench;

import dev.refinery.dedup.MinHasher;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * MinHash signatures (FineWeb's 5-grams, 14 bands of 8 rows) on one core, in MB/s of UTF-8 text,
 * with two baselines in the same run: a scan that only finds the words (the floor: no hashing), and
 * the usual way (datatrove's): split into word strings, join each 5-gram into a string, hash it,
 * then take the 112 minimums.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MinHashBench {
  private final MinHasher minHasher = new MinHasher(5, 14, 8, 1);
  private String[] texts;
  private int next;

  /** UTF-8 bytes per text, on average, over the texts the benchmark cycles through. */
  static double meanBytes(List<String> texts) {
    return texts.stream()
        .mapToLong(t -> t.getBytes(StandardCharsets.UTF_8).length)
        .average()
        .orElse(0);
  }

  @Setup
  public void setUp() throws Exception {
    texts = BenchTexts.load(400).texts().toArray(String[]::new);
  }

  private String text() {
    String t = texts[next];
    next = next + 1 == texts.length ? 0 : next + 1;
    return t;
  }

  @Benchmark
  public long[] signature() {
    return minHasher.signature(text());
  }

  @Benchmark
  public int wordScan() {
    String t = text();
    int words = 0;
    boolean in = false;
    for (int i = 0; i < t.length(); i++) {
      boolean letter = Character.isLetterOrDigit(t.charAt(i));
      if (letter && !in) {
        words++;
      }
      in = letter;
    }
    return words;
  }

  @Benchmark
  public long[] stringShingles() {
    String[] words = text().toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+");
    Set<String> shingles = new HashSet<>();
    for (int i = 0; i + 5 <= words.length; i++) {
      shingles.add(String.join(" ", List.of(words).subList(i, i + 5)));
    }
    long[] min = new long[112];
    java.util.Arrays.fill(min, Long.MAX_VALUE);
    for (String s : shingles) {
      long x = s.hashCode() * 0x9E3779B97F4A7C15L;
      for (int k = 0; k < 112; k++) {
        long h = ((x * (2 * k + 1)) + k) >>> 32;
        if (h < min[k]) {
          min[k] = h;
        }
      }
    }
    return min;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    BenchTexts.Passages passages = BenchTexts.load(400);
    double bytes = meanBytes(passages.texts());
    System.out.printf(
        Locale.ROOT,
        "MinHash signatures (5-grams, 14 bands x 8 rows), one thread, on %s: "
            + "%.0f bytes per text%n",
        passages.origin(),
        bytes);
    String shared = System.getProperty("refinery.shared.data", "");
    Runner runner =
        new Runner(
            new OptionsBuilder()
                .include(MinHashBench.class.getName() + "\\.")
                .forks(1)
                .threads(1)
                .warmupIterations(Integer.parseInt(options.getOrDefault("warmup", "3")))
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(Integer.parseInt(options.getOrDefault("iterations", "5")))
                .measurementTime(TimeValue.seconds(2))
                .jvmArgsAppend("-Drefinery.shared.data=" + shared, "-Xmx1g")
                .build());
    List<RunResult> results = new ArrayList<>(runner.run());
    System.out.printf("%n%-16s %12s %10s%n", "benchmark", "texts/s", "MB/s");
    double signature = 0;
    double naive = 0;
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
      double perSecond = r.getPrimaryResult().getScore();
      double mb = perSecond * bytes / 1e6;
      System.out.printf(Locale.ROOT, "%-16s %12.0f %10.1f%n", name, perSecond, mb);
      if (name.equals("signature")) {
        signature = mb;
      } else if (name.equals("stringShingles")) {
        naive = mb;
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%nsignature: %.1f MB/s per core (goal 20); %.1fx the string-shingle way%n",
        signature,
        signature / naive);
  }
}
