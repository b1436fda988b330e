package dev.refinery.feedback;

import dev.refinery.schemas.LabelKind;
import dev.refinery.schemas.PreferenceLabel;
import java.time.Instant;
import java.util.List;

/**
 * What a webhook delivery carries: labels to write, deletions of labels (by label id), or why it is
 * acknowledged and ignored.
 */
record WebhookResult(
    List<PreferenceLabel> labels, List<PreferenceLabel> deletions, String ignored) {
  static WebhookResult of(List<PreferenceLabel> labels) {
    return new WebhookResult(List.copyOf(labels), List.of(), null);
  }

  static WebhookResult deleted(List<PreferenceLabel> deletions) {
    return new WebhookResult(List.of(), List.copyOf(deletions), null);
  }

  static WebhookResult ignore(String why) {
    return new WebhookResult(List.of(), List.of(), why);
  }

  /**
   * The deletion of a label, its revision the time it was deleted: its sample is found by the
   * joiner's label index, and its pairs retracted.
   */
  static PreferenceLabel deletion(String labelId, String tool, String toolRef, Instant at) {
    return PreferenceLabel.newBuilder()
        .setLabelId(labelId)
        .setRevision(at.toEpochMilli())
        .setSampleId("")
        .setKind(LabelKind.RATING)
        .setRanking(List.of())
        .setStrength(null)
        .setRatings(List.of())
        .setFlags(List.of())
        .setLabeler("")
        .setTimeSpentMs(null)
        .setTool(tool)
        .setToolRef(toolRef)
        .setGold(false)
        .setLabeledAt(at)
        .setDeleted(true)
        .build();
  }
}
