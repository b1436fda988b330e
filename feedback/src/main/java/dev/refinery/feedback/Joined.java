package dev.refinery.feedback;

import dev.refinery.schemas.LabelerStats;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.RewardModelPair;

/**
 * What the join step sends on: a pair, a change of a labeler's counts, a rejection, or a label for
 * the label index.
 */
sealed interface Joined {
  record Label(PreferenceLabel label) implements Joined {}

  record Pair(RewardModelPair pair) implements Joined {}

  record StatsDelta(LabelerStats delta) implements Joined {}

  record Rejected(RejectedDocument rejection) implements Joined {}
}
