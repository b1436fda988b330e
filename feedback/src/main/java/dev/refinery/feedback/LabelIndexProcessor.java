package dev.refinery.feedback;

import dev.refinery.schemas.AvroCodec;
import dev.refinery.schemas.PreferenceLabel;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The label index, keyed by label id: which sample each label is of, so that a deletion a tool
 * reports by label id alone (Label Studio's {@code ANNOTATIONS_DELETED}) reaches the joiner's task
 * of that sample as a deleted revision of the label, and retracts its pairs.
 *
 * <p>Its inputs are the labels the joiner keeps (re-keyed by label id) and {@code
 * feedback.label-deletions.v1}. A deletion whose label is indexed goes out at once, keyed by sample
 * id, to {@code feedback.preferences.v1}; one that comes first waits in the index, and goes out
 * when its label comes, if it is newer than the label. The index is a RocksDB store with a
 * changelog, so it outlives the process.
 */
final class LabelIndexProcessor
    implements Processor<String, PreferenceLabel, String, PreferenceLabel> {
  private final FeedbackMetrics metrics;
  private ProcessorContext<String, PreferenceLabel> context;
  private KeyValueStore<String, byte[]> index;

  LabelIndexProcessor(FeedbackMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, PreferenceLabel> context) {
    this.context = context;
    this.index = context.getStateStore(FeedbackTopology.LABEL_INDEX_STORE);
  }

  @Override
  public void process(Record<String, PreferenceLabel> record) {
    PreferenceLabel incoming = record.value();
    if (incoming == null) {
      return;
    }
    String labelId = incoming.getLabelId();
    byte[] bytes = index.get(labelId);
    PreferenceLabel known =
        bytes == null ? null : AvroCodec.of(PreferenceLabel.class).decode(bytes);
    boolean pending = known != null && known.getDeleted() && known.getSampleId().isEmpty();
    if (!incoming.getDeleted()) {
      if (pending && known.getRevision() > incoming.getRevision()) {
        retract(incoming, known, record.timestamp());
        return;
      }
      if (known == null || !known.getDeleted()) {
        index.put(labelId, AvroCodec.of(PreferenceLabel.class).encode(indexEntry(incoming)));
      }
      return;
    }
    if (known != null && !known.getSampleId().isEmpty()) {
      if (known.getDeleted() && known.getRevision() >= incoming.getRevision()) {
        metrics.joined("replay");
        return;
      }
      retract(known, incoming, record.timestamp());
      return;
    }
    // the label has not been seen: the deletion waits for it
    metrics.joined("deletion_waiting");
    index.put(labelId, AvroCodec.of(PreferenceLabel.class).encode(incoming));
  }

  /** Sends the deletion of {@code label} (its sample, labeler, tool) at the deletion's revision. */
  private void retract(PreferenceLabel label, PreferenceLabel deletion, long timestamp) {
    PreferenceLabel deleted =
        PreferenceLabel.newBuilder(indexEntry(label))
            .setRevision(deletion.getRevision())
            .setLabeledAt(deletion.getLabeledAt())
            .setDeleted(true)
            .build();
    index.put(label.getLabelId(), AvroCodec.of(PreferenceLabel.class).encode(deleted));
    metrics.joined("deletion");
    context.forward(new Record<>(deleted.getSampleId(), deleted, timestamp));
  }

  /** What the index keeps of a label: its id, sample and revision (its answers are not needed). */
  private static PreferenceLabel indexEntry(PreferenceLabel label) {
    return PreferenceLabel.newBuilder(label)
        .setRanking(java.util.List.of())
        .setRatings(java.util.List.of())
        .setFlags(java.util.List.of())
        .build();
  }
}
