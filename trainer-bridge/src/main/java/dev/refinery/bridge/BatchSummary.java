package dev.refinery.bridge;

import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Licences;
import dev.refinery.schemas.TokenBatch;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** One line per batch, for {@code refinery bridge tail}. */
public final class BatchSummary {
  private BatchSummary() {}

  /**
   * {@code tokens.web.v1[2]@7 web-000000000003 8x2048 uint32 pad 0 | 31 spans, 29 docs | cc-demo
   * CC-BY-4.0 x27, acme-books (Acme: contract) x2}
   */
  public static String line(ReceivedBatch received) {
    if (!received.ok()) {
      return received.position() + " UNDECODABLE: " + received.error();
    }
    TokenBatch b = received.batch();
    Map<String, Integer> sources = new TreeMap<>();
    java.util.Set<String> docs = new java.util.HashSet<>();
    for (DocumentSpan s : b.getSpans()) {
      docs.add(s.getDocId());
      sources.merge(
          s.getSource().getName() + " " + Licences.label(s.getSource().getLicence()),
          1,
          Integer::sum);
    }
    StringBuilder line =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%s %s %dx%d %s pad %d | %d spans, %d docs |",
                received.position(),
                b.getBatchId(),
                b.getNumSequences(),
                b.getSeqLen(),
                b.getDtype().name().toLowerCase(Locale.ROOT),
                b.getPadding(),
                b.getSpans().size(),
                docs.size()));
    sources.forEach(
        (source, n) -> line.append(' ').append(source).append(" x").append(n).append(','));
    line.setLength(line.length() - (sources.isEmpty() ? 0 : 1));
    return line.toString();
  }
}
