package dev.refinery.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.infra.text.SyntheticText;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Text for the dedup benchmarks: real web text where the shared sample corpora are at hand (the
 * {@code text} of every JSONL or JSONL.gz record under {@code refinery.shared.data}/corpora, cut
 * into passages of about 150 words at paragraph ends), else the synthetic prose of the demo.
 */
final class BenchTexts {
  /** Passages, and where they came from. */
  record Passages(List<String> texts, String origin) {}

  private BenchTexts() {}

  static Passages load(int minWords) throws IOException {
    String shared = System.getProperty("refinery.shared.data", "");
    Path corpora = shared.isEmpty() ? null : Path.of(shared, "corpora");
    List<String> passages = new ArrayList<>();
    if (corpora != null && Files.isDirectory(corpora)) {
      ObjectMapper json = new ObjectMapper();
      try (Stream<Path> files = Files.list(corpora)) {
        for (Path file :
            files.sorted().filter(f -> f.toString().matches(".*\\.jsonl(\\.gz)?")).toList()) {
          try (BufferedReader in = reader(file)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
              JsonNode text = line.isBlank() ? null : json.readTree(line).get("text");
              if (text != null && text.isTextual()) {
                cut(text.asText(), minWords, passages);
              }
            }
          }
        }
      }
      if (passages.size() >= 20) {
        return new Passages(
            passages, "real web text from " + corpora + " (" + passages.size() + " passages)");
      }
    }
    passages.clear();
    for (int seed = 0; seed < 200; seed++) {
      passages.add(SyntheticText.text(seed, 3));
    }
    return new Passages(
        passages,
        "synthetic prose (no shared corpora at "
            + (corpora == null ? "-" : corpora)
            + "; set -Drefinery.shared.data)");
  }

  /**
   * Cuts a text at line ends into passages of at least {@code minWords} words; drops a short rest.
   */
  static void cut(String text, int minWords, List<String> out) {
    StringBuilder passage = new StringBuilder();
    int words = 0;
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      passage.append(passage.length() == 0 ? "" : "\n").append(line.strip());
      words += line.strip().split("\\s+").length;
      if (words >= minWords) {
        out.add(passage.toString());
        passage.setLength(0);
        words = 0;
      }
    }
  }

  private static BufferedReader reader(Path file) throws IOException {
    InputStream in = Files.newInputStream(file);
    if (file.toString().endsWith(".gz")) {
      in = new GZIPInputStream(in);
    }
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
  }
}
