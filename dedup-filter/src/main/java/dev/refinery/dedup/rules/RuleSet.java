package dev.refinery.dedup.rules;

import dev.refinery.dedup.DedupFilterConfig;
import dev.refinery.schemas.SourceKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.config.ConfigException;

/**
 * Which rules apply to which documents, and in what order. Each kind of source has its rules, and a
 * source can have its own ({@code dedup.rules.kind.<kind>}, {@code dedup.rules.source.<name>}): a
 * licensed book collection is not web text, and C4's line cleaning would cut a novel to pieces.
 *
 * <p>Rules run in a fixed order: language, gopher_quality, gopher_repetition, c4, fineweb, then
 * safety and pii. That is FineWeb's order but for the two Gopher filters, swapped so that a short
 * document is reported as short (datatrove's repetition filter also refuses a 20-character text for
 * its most frequent bigram); which rules pass a document does not depend on it, as neither rewrites
 * the text. The quality rules apply only to documents in {@code dedup.quality.languages} (English
 * by default: their thresholds were published for English) and to text too short to identify.
 */
public final class RuleSet {
  /** Every rule name, in the order rules run. */
  public static final List<String> ORDER =
      List.of(
          LanguageRule.NAME,
          GopherQuality.NAME,
          GopherRepetition.NAME,
          C4Filter.NAME,
          FineWebQuality.NAME,
          SafetyRule.NAME,
          PiiRedactor.NAME);

  private static final Set<String> QUALITY =
      Set.of(GopherRepetition.NAME, GopherQuality.NAME, C4Filter.NAME, FineWebQuality.NAME);
  private static final Map<SourceKind, List<String>> DEFAULTS = defaults();

  private final Map<String, Rule> rules = new HashMap<>();
  private final Map<SourceKind, List<Rule>> byKind = new EnumMap<>(SourceKind.class);
  private final Map<String, List<Rule>> bySource = new ConcurrentHashMap<>();
  private final Set<String> qualityLanguages;
  private final List<Rule> extra;

  private RuleSet(
      Map<String, Rule> rules, Map<String, String> settings, Set<String> qualityLanguages) {
    this.rules.putAll(rules);
    this.qualityLanguages = qualityLanguages;
    this.extra = List.of();
    for (SourceKind kind : SourceKind.values()) {
      String key = DedupFilterConfig.RULES_KIND + kind.name().toLowerCase(Locale.ROOT);
      byKind.put(
          kind,
          resolve(
              key,
              settings.containsKey(key)
                  ? settings.get(key)
                  : String.join(",", DEFAULTS.get(kind))));
    }
    settings.forEach(
        (key, value) -> {
          if (key.startsWith(DedupFilterConfig.RULES_SOURCE)) {
            bySource.put(
                key.substring(DedupFilterConfig.RULES_SOURCE.length()), resolve(key, value));
          } else if (key.startsWith(DedupFilterConfig.RULES_KIND)) {
            String kind =
                key.substring(DedupFilterConfig.RULES_KIND.length()).toUpperCase(Locale.ROOT);
            try {
              SourceKind.valueOf(kind);
            } catch (IllegalArgumentException e) {
              throw new ConfigException(
                  key, value, "no source kind '" + kind.toLowerCase(Locale.ROOT) + "'");
            }
          }
        });
  }

  /** The rules a configuration names. */
  public static RuleSet from(DedupFilterConfig config) {
    Map<String, Rule> rules = new LinkedHashMap<>();
    rules.put(
        LanguageRule.NAME,
        new LanguageRule(
            new TreeSet<>(config.languages()),
            config.languageMinConfidence(),
            config.languageSampleChars()));
    rules.put(GopherRepetition.NAME, new GopherRepetition());
    rules.put(GopherQuality.NAME, new GopherQuality(config.gopherWordCounting()));
    rules.put(C4Filter.NAME, new C4Filter());
    rules.put(FineWebQuality.NAME, new FineWebQuality());
    rules.put(
        SafetyRule.NAME,
        new SafetyRule(
            lexicon(
                config, DedupFilterConfig.SAFETY_LEXICON, DedupFilterConfig.SAFETY_LEXICON_FILE),
            blocklist(config),
            config.safetyMinHits()));
    rules.put(PiiRedactor.NAME, new PiiRedactor());
    return new RuleSet(rules, config.ruleSettings(), new TreeSet<>(config.qualityLanguages()));
  }

  private RuleSet(RuleSet base, Rule added) {
    this.rules.putAll(base.rules);
    this.byKind.putAll(base.byKind);
    this.bySource.putAll(base.bySource);
    this.qualityLanguages = base.qualityLanguages;
    List<Rule> all = new ArrayList<>(base.extra);
    all.add(added);
    this.extra = List.copyOf(all);
  }

  /**
   * These rules and one of the caller's, run after the configured ones for every document: a lab's
   * own check. A rule that throws on a document has it rejected as {@code PROCESSING_ERROR} (the
   * stage goes on), so a bug in it costs that document, not the stage.
   */
  public RuleSet plus(Rule rule) {
    return new RuleSet(this, rule);
  }

  /** The rules of a document of this source and kind. */
  public List<Rule> rulesFor(String source, SourceKind kind) {
    List<Rule> own = bySource.get(source);
    List<Rule> configured = own != null ? own : byKind.get(kind);
    if (extra.isEmpty()) {
      return configured;
    }
    List<Rule> all = new ArrayList<>(configured);
    all.addAll(extra);
    return all;
  }

  /** Applies the rules of the document's source in order; the first rejection ends it. */
  public Optional<Rejection> screen(Screened doc, SourceKind kind) {
    return screen(doc, kind, false);
  }

  /**
   * Applies the rules of the document's source in order; the first rejection ends it. A document
   * that carries images is not held to the quality rules (Gopher, C4, FineWeb): they measure prose,
   * and its text may be a caption; safety, PII and language still apply.
   */
  public Optional<Rejection> screen(Screened doc, SourceKind kind, boolean withImages) {
    boolean languageRule = false;
    for (Rule rule : rulesFor(doc.source(), kind)) {
      if (withImages && QUALITY.contains(rule.name())) {
        continue;
      }
      if (QUALITY.contains(rule.name())
          && languageRule
          && !qualityLanguages.isEmpty()
          && !qualityLanguages.contains(doc.language())
          && !LanguageRule.UNDETERMINED.equals(doc.language())) {
        continue;
      }
      languageRule |= rule.name().equals(LanguageRule.NAME);
      Optional<Rejection> rejection = rule.apply(doc);
      if (rejection.isPresent()) {
        return rejection;
      }
    }
    return Optional.empty();
  }

  /** Whether any rule needs the language detector (so it can be loaded at start). */
  public boolean usesLanguage() {
    return byKind.values().stream()
            .anyMatch(l -> l.stream().anyMatch(r -> r.name().equals(LanguageRule.NAME)))
        || bySource.values().stream()
            .anyMatch(l -> l.stream().anyMatch(r -> r.name().equals(LanguageRule.NAME)));
  }

  private List<Rule> resolve(String key, String names) {
    Set<String> wanted = new TreeSet<>();
    for (String name : names.split(",")) {
      String n = name.strip().toLowerCase(Locale.ROOT);
      if (n.isEmpty() || n.equals("none")) {
        continue;
      }
      if (!rules.containsKey(n)) {
        throw new ConfigException(
            key, names, "no rule '" + n + "'; the rules are " + ORDER + " (or none)");
      }
      wanted.add(n);
    }
    List<Rule> ordered = new ArrayList<>();
    for (String name : ORDER) {
      if (wanted.contains(name)) {
        ordered.add(rules.get(name));
      }
    }
    return List.copyOf(ordered);
  }

  private static Map<SourceKind, List<String>> defaults() {
    Map<SourceKind, List<String>> d = new EnumMap<>(SourceKind.class);
    d.put(SourceKind.PUBLIC_WEB, ORDER);
    d.put(SourceKind.UNKNOWN, ORDER);
    d.put(
        SourceKind.ACADEMIC,
        List.of(
            LanguageRule.NAME,
            GopherQuality.NAME,
            GopherRepetition.NAME,
            SafetyRule.NAME,
            PiiRedactor.NAME));
    d.put(
        SourceKind.BOOKS,
        List.of(LanguageRule.NAME, GopherRepetition.NAME, SafetyRule.NAME, PiiRedactor.NAME));
    d.put(
        SourceKind.LICENSED,
        List.of(LanguageRule.NAME, GopherRepetition.NAME, SafetyRule.NAME, PiiRedactor.NAME));
    d.put(SourceKind.SYNTHETIC, List.of(LanguageRule.NAME, SafetyRule.NAME, PiiRedactor.NAME));
    d.put(SourceKind.CODE, List.of(SafetyRule.NAME, PiiRedactor.NAME));
    return d;
  }

  /** The rules a kind of source gets unless configured otherwise. */
  public static List<String> defaultsFor(SourceKind kind) {
    return DEFAULTS.get(kind);
  }

  private static Map<String, List<String>> lexicon(
      DedupFilterConfig config, String inline, String file) {
    Map<String, List<String>> byCategory = new LinkedHashMap<>();
    for (String[] entry : entries(config, inline, file)) {
      byCategory.computeIfAbsent(entry[0], c -> new ArrayList<>()).add(entry[1]);
    }
    return byCategory;
  }

  private static Map<String, String> blocklist(DedupFilterConfig config) {
    Map<String, String> blocked = new LinkedHashMap<>();
    for (String[] entry :
        entries(
            config, DedupFilterConfig.SAFETY_BLOCKLIST, DedupFilterConfig.SAFETY_BLOCKLIST_FILE)) {
      blocked.put(entry[1].toLowerCase(Locale.ROOT), entry[0]);
    }
    return blocked;
  }

  /** category/value pairs from an inline list (category:value) and a file (category TAB value). */
  private static List<String[]> entries(DedupFilterConfig config, String inline, String file) {
    List<String[]> entries = new ArrayList<>();
    for (String item : config.listSetting(inline)) {
      int colon = item.indexOf(':');
      if (colon <= 0 || colon == item.length() - 1) {
        throw new ConfigException(inline, item, "an entry is category:value");
      }
      entries.add(
          new String[] {item.substring(0, colon).strip(), item.substring(colon + 1).strip()});
    }
    String path = config.fileSetting(file);
    if (path != null && !path.isBlank()) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of(path), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new ConfigException(file, path, "cannot read: " + e.getMessage());
      }
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        int tab = line.indexOf('\t');
        if (tab <= 0) {
          throw new ConfigException(file, path, "line " + (i + 1) + " is not category<TAB>value");
        }
        entries.add(new String[] {line.substring(0, tab).strip(), line.substring(tab + 1).strip()});
      }
    }
    return entries;
  }
}
