package dev.refinery.feedback;

import java.util.List;

/** What the gateway keeps of a sample to check labels against it: its prompt and completion ids. */
public record KnownSample(String promptId, List<String> completionIds) {
  public KnownSample {
    completionIds = List.copyOf(completionIds);
  }
}
