package dev.refinery.ingest;

import dev.refinery.schemas.SourceKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigException;

/**
 * The declared sources, read from {@code sources.<name>.<setting>} entries of the configuration:
 *
 * <pre>
 * sources.cc-2024-10.kind=public_web
 * sources.cc-2024-10.licence=LicenseRef-CommonCrawl-ToU
 * sources.cc-2024-10.stream=web
 * sources.acme-books.kind=licensed
 * sources.acme-books.licensor=Acme Publishing
 * sources.acme-books.terms=contract 2026-17, training use only
 * sources.acme-books.stream=books
 * </pre>
 *
 * A source needs a kind and a licence: an SPDX id ({@code licence}) or {@code terms}. A licensed
 * source needs its contract {@code terms}. The stream defaults to {@code main}.
 */
public final class SourceRegistry {
  static final String PREFIX = "sources.";
  private static final Pattern KEY = Pattern.compile("sources\\.([a-z0-9][a-z0-9._-]*)\\.([a-z]+)");
  private static final Set<String> SETTINGS =
      Set.of("kind", "licence", "licensor", "terms", "stream");

  private final Map<String, SourceDeclaration> sources;

  private SourceRegistry(Map<String, SourceDeclaration> sources) {
    this.sources = sources;
  }

  public static SourceRegistry of(Collection<SourceDeclaration> declarations) {
    Map<String, SourceDeclaration> byName = new LinkedHashMap<>();
    for (SourceDeclaration d : declarations) {
      if (byName.put(d.name(), d) != null) {
        throw new ConfigException("source " + d.name() + " is declared twice");
      }
    }
    return new SourceRegistry(byName);
  }

  /**
   * Reads the {@code sources.*} entries of a configuration; other keys are ignored.
   *
   * @throws ConfigException naming the setting that is missing or wrong
   */
  public static SourceRegistry fromConfig(Map<String, String> config) {
    Map<String, Map<String, String>> raw = new LinkedHashMap<>();
    for (var entry : new java.util.TreeMap<>(config).entrySet()) {
      if (!entry.getKey().startsWith(PREFIX)) {
        continue;
      }
      Matcher m = KEY.matcher(entry.getKey());
      if (!m.matches() || !SETTINGS.contains(m.group(2))) {
        throw new ConfigException(
            entry.getKey(),
            entry.getValue(),
            "a source setting is sources.<name>.<setting> with a lower-case name and setting one of "
                + new TreeSet<>(SETTINGS));
      }
      raw.computeIfAbsent(m.group(1), n -> new LinkedHashMap<>())
          .put(m.group(2), entry.getValue().trim());
    }
    List<SourceDeclaration> declarations = new ArrayList<>();
    raw.forEach((name, settings) -> declarations.add(declaration(name, settings)));
    return of(declarations);
  }

  private static SourceDeclaration declaration(String name, Map<String, String> settings) {
    String key = PREFIX + name + ".";
    String kindText = settings.get("kind");
    if (kindText == null || kindText.isEmpty()) {
      throw new ConfigException(key + "kind", null, "every source needs a kind, one of " + kinds());
    }
    SourceKind kind;
    try {
      kind = SourceKind.valueOf(kindText.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + "kind", kindText, "not a source kind; one of " + kinds());
    }
    String spdx = blankToNull(settings.get("licence"));
    String licensor = blankToNull(settings.get("licensor"));
    String terms = blankToNull(settings.get("terms"));
    if (kind == SourceKind.LICENSED && terms == null) {
      throw new ConfigException(
          key + "terms",
          null,
          "licensed source "
              + name
              + " needs its licence terms (contract id or terms reference) in "
              + key
              + "terms");
    }
    if (spdx == null && terms == null) {
      throw new ConfigException(
          key + "licence",
          null,
          "source "
              + name
              + " needs a licence: an SPDX id in "
              + key
              + "licence or terms in "
              + key
              + "terms");
    }
    String stream = settings.getOrDefault("stream", "main");
    try {
      return new SourceDeclaration(name, kind, spdx, licensor, terms, stream);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + "stream", stream, e.getMessage());
    }
  }

  private static String kinds() {
    return Arrays.stream(SourceKind.values())
        .filter(k -> k != SourceKind.UNKNOWN)
        .map(k -> k.name().toLowerCase(Locale.ROOT))
        .toList()
        .toString();
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  /**
   * The declaration of a source.
   *
   * @throws IllegalArgumentException if it was not declared, listing those that were
   */
  public SourceDeclaration get(String name) {
    SourceDeclaration d = sources.get(name);
    if (d == null) {
      throw new IllegalArgumentException(
          "source '"
              + name
              + "' is not declared; declared: "
              + sources.keySet()
              + ". Declare it with sources."
              + name
              + ".kind and a licence.");
    }
    return d;
  }

  public Collection<SourceDeclaration> all() {
    return sources.values();
  }

  /** The token streams the declared sources feed. */
  public Set<String> streams() {
    Set<String> streams = new TreeSet<>();
    sources.values().forEach(d -> streams.add(d.stream()));
    return streams;
  }
}
