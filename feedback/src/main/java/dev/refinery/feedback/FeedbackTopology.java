package dev.refinery.feedback;

import dev.refinery.schemas.LabelerStats;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The joiner: labels and RBRM judgements joined with their samples into reward-model pairs, and
 * labeler agreement.
 *
 * <pre>
 * feedback.samples.v1 ─┐
 * feedback.preferences.v1 ─┼─▶ join (by sample id) ─┬─ pairs ─────────────────────────▶ feedback.rm-pairs.v1 (by prompt id)
 * feedback.rbrm.v1 ─┘    feedback-samples,         ├─ count changes ─▶ [feedback-by-labeler] ─▶ sum ─▶ feedback.labeler-stats.v1
 *                        feedback-labels,          │                                feedback-labeler-stats
 *                        feedback-judgements,      └─ rejections ──────────────────────▶ corpus.rejected.v1 (stage FEEDBACK)
 *                        feedback-sets
 * </pre>
 *
 * The three inputs have the same key and partition count, so the join needs no repartition. Every
 * label the join keeps also goes, re-keyed by label id ({@code feedback-by-label}), to the label
 * index ({@code feedback-label-index}), which meets {@code feedback.label-deletions.v1} there and
 * writes each deletion, keyed by its sample, back to {@code feedback.preferences.v1}. Every
 * processor, internal topic and store is named, so an upgrade keeps its state.
 */
public final class FeedbackTopology {
  public static final String SAMPLES_STORE = "feedback-samples";
  public static final String LABELS_STORE = "feedback-labels";
  public static final String JUDGEMENTS_STORE = "feedback-judgements";
  public static final String SETS_STORE = "feedback-sets";
  public static final String STATS_STORE = "feedback-labeler-stats";
  public static final String BY_LABELER = "feedback-by-labeler";
  public static final String LABEL_INDEX_STORE = "feedback-label-index";
  public static final String BY_LABEL = "feedback-by-label";

  /** The stores whose sizes {@code /metrics} reports. */
  public static final List<String> STORES =
      List.of(SAMPLES_STORE, LABELS_STORE, JUDGEMENTS_STORE, SETS_STORE, LABEL_INDEX_STORE);

  private FeedbackTopology() {}

  public static Topology build(RubricTable rubrics, FeedbackMetrics metrics) {
    return build(rubrics, RatingPairs.DEFAULT, metrics);
  }

  /** The joiner's topology, pairing ratings as {@code ratingPairs} says. */
  static Topology build(RubricTable rubrics, RatingPairs ratingPairs, FeedbackMetrics metrics) {
    StreamsBuilder builder = new StreamsBuilder();
    for (String store : List.of(SAMPLES_STORE, LABELS_STORE, JUDGEMENTS_STORE, LABEL_INDEX_STORE)) {
      builder.addStateStore(
          Stores.keyValueStoreBuilder(
                  Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.ByteArray())
              .withCachingEnabled());
    }
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(SETS_STORE), Serdes.String(), Serdes.Long())
            .withCachingEnabled());

    Map<String, KStream<String, Joined>> joined =
        builder.stream(
                List.of(
                    Topics.FEEDBACK_SAMPLES.name(),
                    Topics.FEEDBACK_PREFERENCES.name(),
                    Topics.FEEDBACK_RBRM.name()),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("feedback-in"))
            .process(
                () -> new JoinProcessor(rubrics, ratingPairs, metrics),
                Named.as("join"),
                SAMPLES_STORE,
                LABELS_STORE,
                JUDGEMENTS_STORE,
                SETS_STORE)
            .split(Named.as("joined-"))
            .branch((k, v) -> v instanceof Joined.Pair, Branched.as("pairs"))
            .branch((k, v) -> v instanceof Joined.StatsDelta, Branched.as("stats"))
            .branch((k, v) -> v instanceof Joined.Label, Branched.as("labels"))
            .defaultBranch(Branched.as("rejected"));

    joined
        .get("joined-pairs")
        .mapValues(v -> ((Joined.Pair) v).pair(), Named.as("pair"))
        .to(
            Topics.FEEDBACK_RM_PAIRS.name(),
            Produced.with(Serdes.String(), Topics.FEEDBACK_RM_PAIRS.valueSerde())
                .withName("pairs-out"));
    // the label index: labels by label id, met by the deletions that name a label alone
    KStream<String, PreferenceLabel> deletions =
        builder.stream(
            Topics.FEEDBACK_LABEL_DELETIONS.name(),
            Consumed.with(Serdes.String(), Topics.FEEDBACK_LABEL_DELETIONS.valueSerde())
                .withName("deletions-in"));
    joined
        .get("joined-labels")
        .mapValues(v -> ((Joined.Label) v).label(), Named.as("label"))
        .repartition(
            Repartitioned.<String, PreferenceLabel>as(BY_LABEL)
                .withKeySerde(Serdes.String())
                .withValueSerde(Topics.FEEDBACK_PREFERENCES.valueSerde())
                .withNumberOfPartitions(Topics.FEEDBACK_LABEL_DELETIONS.partitions()))
        .merge(deletions, Named.as("index-in"))
        .process(() -> new LabelIndexProcessor(metrics), Named.as("index"), LABEL_INDEX_STORE)
        .to(
            Topics.FEEDBACK_PREFERENCES.name(),
            Produced.with(Serdes.String(), Topics.FEEDBACK_PREFERENCES.valueSerde())
                .withName("deletions-out"));
    joined
        .get("joined-rejected")
        .mapValues(v -> ((Joined.Rejected) v).rejection(), Named.as("rejection"))
        .to(
            Topics.CORPUS_REJECTED.name(),
            Produced.<String, RejectedDocument>with(
                    Serdes.String(), Topics.CORPUS_REJECTED.valueSerde())
                .withName("rejected-out"));
    joined
        .get("joined-stats")
        .mapValues(v -> ((Joined.StatsDelta) v).delta(), Named.as("stats-delta"))
        .groupByKey(
            Grouped.with(BY_LABELER, Serdes.String(), Topics.FEEDBACK_LABELER_STATS.valueSerde()))
        .reduce(
            FeedbackTopology::sum,
            Named.as("stats-sum"),
            Materialized.<String, LabelerStats, KeyValueStore<Bytes, byte[]>>as(STATS_STORE)
                .withKeySerde(Serdes.String())
                .withValueSerde(Topics.FEEDBACK_LABELER_STATS.valueSerde()))
        .toStream(Named.as("stats-changes"))
        .peek((labeler, stats) -> metrics.labeler(stats), Named.as("stats-gauges"))
        .to(
            Topics.FEEDBACK_LABELER_STATS.name(),
            Produced.with(Serdes.String(), Topics.FEEDBACK_LABELER_STATS.valueSerde())
                .withName("stats-out"));
    return builder.build();
  }

  static LabelerStats sum(LabelerStats a, LabelerStats b) {
    return LabelerStats.newBuilder()
        .setLabeler(a.getLabeler())
        .setLabels(a.getLabels() + b.getLabels())
        .setPeerPairs(a.getPeerPairs() + b.getPeerPairs())
        .setPeerAgreed(a.getPeerAgreed() + b.getPeerAgreed())
        .setGoldPairs(a.getGoldPairs() + b.getGoldPairs())
        .setGoldAgreed(a.getGoldAgreed() + b.getGoldAgreed())
        .setUpdatedAt(
            a.getUpdatedAt().isAfter(b.getUpdatedAt()) ? a.getUpdatedAt() : b.getUpdatedAt())
        .build();
  }
}
