package dev.refinery.dedup.rules;

import java.util.Optional;

/**
 * One of dedup-filter's document rules. A rule measures the text, records what it measured as
 * signals, may rewrite the text (cleaning, redaction), and refuses the document or lets it pass.
 * Rules are stateless and thread-safe.
 */
public abstract class Rule {
  private final String name;

  /**
   * @param name the rule's name, as settings and rejections name it: {@code gopher_quality}
   */
  protected Rule(String name) {
    this.name = name;
  }

  public final String name() {
    return name;
  }

  /** Applies the rule; a rejection if the document fails it. */
  public abstract Optional<Rejection> apply(Screened document);
}
