package dev.refinery.dedup.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.dedup.DedupFilterConfig;
import dev.refinery.infra.testing.SharedData;
import dev.refinery.schemas.SourceKind;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Good text is kept: the already-curated prose of the sample corpora (Dolma's filtered Common
 * Crawl) passes the public-web rules with their default thresholds, at least 90 % of it, and every
 * refusal is printed with its reason and measure.
 */
class CuratedRetentionTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void atLeast90PercentOfCuratedProsePassesThePublicWebRules() throws IOException {
    List<String> texts = new ArrayList<>();
    for (String name :
        List.of("dolma-cc_en_head-0091.jsonl.gz", "dolma-cc_en_head-0174.jsonl.gz")) {
      Path file = SharedData.corpus(name);
      try (BufferedReader in =
          new BufferedReader(
              new InputStreamReader(
                  new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          JsonNode doc = JSON.readTree(line);
          texts.add(doc.get("text").asText());
        }
      }
    }
    RuleSet rules = RuleSet.from(new DedupFilterConfig(new HashMap<>()));
    int kept = 0;
    List<String> refusals = new ArrayList<>();
    for (String text : texts) {
      Optional<Rejection> r =
          rules.screen(new Screened(text, null, "dolma-cc"), SourceKind.PUBLIC_WEB);
      if (r.isEmpty()) {
        kept++;
      } else {
        refusals.add(
            r.get().reason()
                + " ("
                + r.get().detail()
                + "): "
                + text.substring(0, Math.min(80, text.length())).replace('\n', ' '));
      }
    }
    double retention = (double) kept / texts.size();
    System.out.printf(
        "curated prose retained by the public-web rules: %d of %d (%.3f)%n",
        kept, texts.size(), retention);
    refusals.forEach(r -> System.out.println("  refused " + r));
    assertThat(texts).hasSizeGreaterThanOrEqualTo(20);
    assertThat(retention).as("refused: %s", refusals).isGreaterThanOrEqualTo(0.90);
  }
}
