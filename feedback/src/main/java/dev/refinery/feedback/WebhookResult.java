package dev.refinery.feedback;

import dev.refinery.schemas.PreferenceLabel;
import java.util.List;

/** What a webhook delivery carries: labels to write, or why it is acknowledged and ignored. */
record WebhookResult(List<PreferenceLabel> labels, String ignored) {
  static WebhookResult of(List<PreferenceLabel> labels) {
    return new WebhookResult(List.copyOf(labels), null);
  }

  static WebhookResult ignore(String why) {
    return new WebhookResult(List.of(), why);
  }
}
