package dev.refinery.bench;

import dev.refinery.dedup.DedupFilterConfig;
import dev.refinery.dedup.TextFingerprint;
import dev.refinery.dedup.rules.Rule;
import dev.refinery.dedup.rules.RuleSet;
import dev.refinery.dedup.rules.Screened;
import dev.refinery.schemas.SourceKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cost of each of dedup-filter's rules on web documents of about 2 KB, in one thread: every
 * rule of a public-web source applied in order to one {@link Screened} per document (so a rule that
 * is first to need the words or lines pays for splitting them), none stopping the others. Prints
 * milliseconds per document per rule, and in all.
 */
public final class RulesBench {
  private RulesBench() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> options = Options.parse(args);
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "100"));
    long warmupMs = Long.parseLong(options.getOrDefault("warmup-ms", "5000"));
    int warmupRounds = Integer.parseInt(options.getOrDefault("warmup-rounds", "500"));
    BenchTexts.Passages passages = BenchTexts.load(300);
    List<String> docs = new ArrayList<>();
    for (String p : passages.texts()) {
      docs.add(p.length() > 2200 ? p.substring(0, p.lastIndexOf(' ', 2048) + 1) : p);
    }
    double kb = docs.stream().mapToInt(String::length).average().orElse(0) / 1024;
    System.out.printf(
        Locale.ROOT,
        "%,d documents of %.1f KB on average: %s%n",
        docs.size(),
        kb,
        passages.origin());
    RuleSet rules = RuleSet.from(new DedupFilterConfig(new HashMap<>()));
    List<Rule> web = rules.rulesFor("bench", SourceKind.PUBLIC_WEB);
    // warm-up until the JIT has compiled the rules (a stream thread runs them for hours), then
    // the measured rounds: a time and a number of rounds, both. On a slow day the first round
    // alone took over 5 s here, and a warm-up of time only measured the rules half compiled
    // (0.47 ms a document where 1,043 rounds of warm-up gave 0.17)
    long warmStarted = System.nanoTime();
    long warmUntil = warmStarted + warmupMs * 1_000_000L;
    int warmRounds = 0;
    while (System.nanoTime() < warmUntil || warmRounds < warmupRounds) {
      applyAll(docs, web, new HashMap<>());
      warmRounds++;
    }
    long warmedMs = (System.nanoTime() - warmStarted) / 1_000_000;
    Map<String, Long> nanos = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      applyAll(docs, web, nanos);
    }
    System.out.printf(
        Locale.ROOT,
        "%d warm-up rounds in %d ms, then %d measured rounds%n",
        warmRounds,
        warmedMs,
        rounds);
    double n = (double) docs.size() * rounds;
    double total = 0;
    for (Map.Entry<String, Long> e : nanos.entrySet()) {
      double ms = e.getValue() / 1e6 / n;
      total += ms;
      System.out.printf(Locale.ROOT, "  %-18s %8.4f ms a document%n", e.getKey(), ms);
    }
    System.out.printf(
        Locale.ROOT,
        "  %-18s %8.4f ms a document (%.4f ms without language)   goal <= 0.3 ms for the rules%n",
        "all",
        total,
        total - nanos.getOrDefault("language", 0L) / 1e6 / n);
    // not a rule: what the screen computes of every document it keeps besides them, its exact key
    // and its replay key, each a SHA-256 of the normalized text: in one pass over a text the rules
    // left as it came or changed only in white space, in two over one they changed more
    // both warmed up before either is measured: the first measured alone ran a third slower
    for (int round = 0; round < warmRounds; round++) {
      fingerprints(docs, true);
      fingerprints(docs, false);
    }
    for (boolean onePass : new boolean[] {true, false}) {
      long t0 = System.nanoTime();
      for (int round = 0; round < rounds; round++) {
        fingerprints(docs, onePass);
      }
      System.out.printf(
          Locale.ROOT,
          "  %-18s %8.4f ms a document (not a rule: the exact and replay keys' fingerprints, %s)%n",
          "fingerprints",
          (System.nanoTime() - t0) / 1e6 / n,
          onePass
              ? "one pass: a text the rules left as it came, or changed only in white space"
              : "two passes: a text they changed more");
    }
  }

  private static long sink;

  private static final String ID = "0123456789abcdef0123456789abcdef";

  private static void fingerprints(List<String> docs, boolean onePass) {
    for (String text : docs) {
      if (onePass) {
        TextFingerprint.TextAndReplay both = TextFingerprint.ofTextAndReplay(ID, text);
        sink += both.text().charAt(0) + both.replay().charAt(0);
      } else {
        sink += TextFingerprint.of(text).charAt(0);
        sink += TextFingerprint.of(ID, text).charAt(0);
      }
    }
  }

  /** Every rule on one fresh {@link Screened} per document, timing each into {@code nanos}. */
  private static void applyAll(List<String> docs, List<Rule> web, Map<String, Long> nanos) {
    for (String text : docs) {
      Screened s = new Screened(text, "https://bench.example.org/a", "bench");
      for (Rule r : web) {
        long t0 = System.nanoTime();
        r.apply(s);
        nanos.merge(r.name(), System.nanoTime() - t0, Long::sum);
      }
    }
  }
}
