package dev.refinery.dedup.rules;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A content filter in the way the GPT-4 system card describes pre-training data filtering with
 * lexicons: a lexicon of terms by category, and a blocklist of domains and URL prefixes by
 * category. Every category a document touches is recorded ({@code safety_categories}, and a {@code
 * safety_<category>} signal with the hits); a document with {@code minHits} or more hits in one
 * category, or from a blocked site, is rejected, and the rejection says which terms or which entry.
 *
 * <p>Lexicon lines are {@code category<TAB>term} (a term may be several words; matching is on word
 * boundaries, case-insensitive); blocklist lines are {@code category<TAB>domain-or-url-prefix}.
 */
public final class SafetyRule extends Rule {
  public static final String NAME = "safety";

  private final Map<String, Pattern> lexicon = new LinkedHashMap<>();
  private final Map<String, String> blocklist;
  private final int minHits;

  /**
   * @param lexicon terms by category
   * @param blocklist category by blocked domain or URL prefix
   */
  public SafetyRule(Map<String, List<String>> lexicon, Map<String, String> blocklist, int minHits) {
    super(NAME);
    lexicon.forEach(
        (category, terms) -> {
          List<String> quoted = new ArrayList<>();
          for (String term : terms) {
            quoted.add(Pattern.quote(term.strip()).replace(" ", "\\E\\s+\\Q"));
          }
          if (!quoted.isEmpty()) {
            this.lexicon.put(
                category,
                Pattern.compile(
                    "(?<![\\p{L}\\p{N}])(?:" + String.join("|", quoted) + ")(?![\\p{L}\\p{N}])",
                    Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
          }
        });
    this.blocklist = Map.copyOf(blocklist);
    this.minHits = minHits;
  }

  @Override
  public Optional<Rejection> apply(Screened doc) {
    TreeSet<String> categories = new TreeSet<>();
    Optional<Rejection> rejection = Optional.empty();
    String blocked = blockedBy(doc.url());
    if (blocked != null) {
      String category = blocklist.get(blocked);
      categories.add(category);
      rejection =
          Optional.of(
              new Rejection(
                  NAME,
                  "SAFETY_URL_BLOCKLIST",
                  "URL " + doc.url() + " is on the blocklist (" + category + ": " + blocked + ")",
                  null,
                  null));
    }
    for (Map.Entry<String, Pattern> entry : lexicon.entrySet()) {
      Matcher m = entry.getValue().matcher(doc.text());
      int hits = 0;
      TreeSet<String> terms = new TreeSet<>();
      while (m.find()) {
        hits++;
        terms.add(m.group().toLowerCase(Locale.ROOT));
      }
      if (hits > 0) {
        categories.add(entry.getKey());
        doc.signal("safety_" + entry.getKey(), hits);
        if (hits >= minHits && rejection.isEmpty()) {
          rejection =
              Optional.of(
                  Rejection.of(
                      NAME,
                      "SAFETY_LEXICON",
                      entry.getKey() + " terms " + terms + ": hits",
                      hits,
                      ">=",
                      minHits));
        }
      }
    }
    if (!categories.isEmpty()) {
      doc.attributes().put("safety_categories", String.join(",", categories));
    }
    return rejection;
  }

  /** The blocklist entry the URL falls under: its host or a parent domain, or a URL prefix. */
  private String blockedBy(String url) {
    if (url == null || blocklist.isEmpty()) {
      return null;
    }
    String lower = url.toLowerCase(Locale.ROOT);
    String host;
    try {
      host = URI.create(url.strip()).getHost();
    } catch (IllegalArgumentException e) {
      host = null;
    }
    if (host != null) {
      host = host.toLowerCase(Locale.ROOT);
      for (String h = host; h.contains("."); h = h.substring(h.indexOf('.') + 1)) {
        if (blocklist.containsKey(h)) {
          return h;
        }
      }
    }
    for (String entry : blocklist.keySet()) {
      if (entry.contains("/") && lower.startsWith(entry)) {
        return entry;
      }
    }
    return null;
  }
}
