package dev.refinery.bench;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** {@code --name value} pairs of a benchmark's command line. */
final class Options {
  private Options() {}

  static Map<String, String> parse(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value, found " + args[i]);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    return options;
  }

  /**
   * The options whose names begin with one of the prefixes: a stage's settings given on the command
   * line ({@code --dedup.hold.ms 500}), to measure their effect.
   */
  static Map<String, String> under(Map<String, String> options, String... prefixes) {
    Map<String, String> chosen = new TreeMap<>();
    options.forEach(
        (k, v) -> {
          for (String prefix : prefixes) {
            if (k.startsWith(prefix)) {
              chosen.put(k, v);
            }
          }
        });
    return chosen;
  }

  /** Prints each option {@link #under} the prefixes, so a run says what it was given. */
  static void printUnder(Map<String, String> options, String... prefixes) {
    under(options, prefixes)
        .forEach((k, v) -> System.out.printf(Locale.ROOT, "  with %s=%s%n", k, v));
  }
}
