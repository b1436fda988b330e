package dev.refinery.dedup.rules;

import static dev.refinery.dedup.rules.Texts.screened;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Recall and false positives on a set of realistic PII in several countries' formats and of
 * look-alikes (versions, order numbers, years, binary, dates, prices): every item of the set must
 * be redacted with its own placeholder, and a look-alike at most once.
 */
class PiiSetTest {
  private record Row(String kind, String item, String text) {}

  static List<String[]> rows() throws IOException {
    List<String[]> rows = new ArrayList<>();
    try (InputStream in = PiiSetTest.class.getResourceAsStream("/pii/pii-set.tsv")) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          rows.add(line.split("\t", 3));
        }
      }
    }
    return rows;
  }

  @Test
  void recallIsAtLeast95PercentWithAtMostOneFalsePositive() throws IOException {
    PiiRedactor rule = new PiiRedactor();
    int positives = 0;
    int found = 0;
    List<String> missed = new ArrayList<>();
    List<String> falsePositives = new ArrayList<>();
    for (String[] r : rows()) {
      Screened doc = screened(r[2]);
      rule.apply(doc);
      String out = doc.text();
      if (r[0].equals("NONE")) {
        if (!out.equals(r[2])) {
          falsePositives.add(r[2] + " -> " + out);
        }
        continue;
      }
      positives++;
      String placeholder = "[" + r[0] + "]";
      String expected = r[2].replace(r[1], placeholder);
      if (out.equals(expected)) {
        found++;
      } else {
        missed.add(r[0] + ": " + r[2] + " -> " + out);
      }
    }
    double recall = (double) found / positives;
    System.out.printf(
        "PII set: recall %.3f (%d of %d), %d false positive(s) %s%n",
        recall, found, positives, falsePositives.size(), falsePositives);
    assertThat(recall).as("missed: %s", missed).isGreaterThanOrEqualTo(0.95);
    assertThat(falsePositives).as("false positives").hasSizeLessThanOrEqualTo(1);
  }
}
