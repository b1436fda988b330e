package dev.refinery.feedback;

import dev.refinery.schemas.AvroCodec;
import dev.refinery.schemas.LabelerStats;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.RbrmJudgement;
import dev.refinery.schemas.RecordDecodeException;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.Sample;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The join step, keyed by sample id: samples, labels and judgements of one sample meet in one task.
 * Labels and judgements are kept at their latest revision (a replay or an older update changes
 * nothing); a label or judgement that arrives before its sample waits in the store and is paired
 * when the sample comes. A deleted label is a revision like another: it retracts the label's pairs,
 * and an older revision delivered after it changes nothing. Every label kept is also sent on, by
 * label id, to the label index ({@link LabelIndexProcessor}).
 */
final class JoinProcessor implements Processor<String, byte[], String, Joined> {
  private static final char SEP = '\u0000';
  private static final StringSerializer PREFIX = new StringSerializer();

  private final RubricTable rubrics;
  private final RatingPairs ratingPairs;
  private final FeedbackMetrics metrics;
  private ProcessorContext<String, Joined> context;
  private KeyValueStore<String, byte[]> samples;
  private KeyValueStore<String, byte[]> labels;
  private KeyValueStore<String, byte[]> judgements;
  private KeyValueStore<String, Long> sets;

  JoinProcessor(RubricTable rubrics, RatingPairs ratingPairs, FeedbackMetrics metrics) {
    this.rubrics = rubrics;
    this.ratingPairs = ratingPairs;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, Joined> context) {
    this.context = context;
    this.samples = context.getStateStore(FeedbackTopology.SAMPLES_STORE);
    this.labels = context.getStateStore(FeedbackTopology.LABELS_STORE);
    this.judgements = context.getStateStore(FeedbackTopology.JUDGEMENTS_STORE);
    this.sets = context.getStateStore(FeedbackTopology.SETS_STORE);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    RecordMetadata meta = context.recordMetadata().orElseThrow();
    String location = meta.topic() + "-" + meta.partition() + "@" + meta.offset();
    byte[] bytes = record.value();
    Instant now = Instant.ofEpochMilli(record.timestamp());
    try {
      if (bytes == null) {
        throw new RecordDecodeException("a null value (tombstone) on a delete topic", null);
      }
      if (meta.topic().equals(Topics.FEEDBACK_SAMPLES.name())) {
        sample(AvroCodec.of(Sample.class).decode(bytes), bytes, now);
      } else if (meta.topic().equals(Topics.FEEDBACK_PREFERENCES.name())) {
        label(AvroCodec.of(PreferenceLabel.class).decode(bytes), bytes, now, location);
      } else {
        judgement(AvroCodec.of(RbrmJudgement.class).decode(bytes), bytes, now, location);
      }
    } catch (RecordDecodeException e) {
      reject(
          record.key(),
          "UNDECODABLE",
          e.getMessage(),
          bytes == null ? new byte[0] : bytes,
          location,
          now);
    }
  }

  private void sample(Sample sample, byte[] bytes, Instant now) {
    String id = sample.getSampleId();
    if (samples.get(id) != null) {
      metrics.joined("duplicate_sample");
      return;
    }
    samples.put(id, bytes);
    metrics.joined("sample");
    for (PreferenceLabel label : labelsOf(id)) {
      if (label.getDeleted()) {
        continue;
      }
      pairs(
          sample,
          label,
          AvroCodec.of(PreferenceLabel.class).encode(label),
          now,
          "label " + label.getLabelId() + ", held until its sample came");
    }
    Map<String, List<RbrmJudgement>> byRubric = new TreeMap<>();
    for (RbrmJudgement j : judgementsOf(id + SEP)) {
      byRubric
          .computeIfAbsent(
              RubricTable.key(j.getRubricId(), j.getRubricVersion()), r -> new ArrayList<>())
          .add(j);
    }
    byRubric.forEach((rubric, list) -> rbrmPairs(sample, rubric, list, now));
  }

  private void label(PreferenceLabel label, byte[] bytes, Instant now, String location) {
    String key = label.getSampleId() + SEP + label.getLabelId();
    byte[] stored = labels.get(key);
    if (stored != null
        && AvroCodec.of(PreferenceLabel.class).decode(stored).getRevision()
            >= label.getRevision()) {
      metrics.joined("replay");
      return;
    }
    List<PreferenceLabel> before = labelsOf(label.getSampleId());
    before.removeIf(PreferenceLabel::getDeleted);
    labels.put(key, bytes);
    List<PreferenceLabel> after = new ArrayList<>(before);
    after.removeIf(l -> l.getLabelId().equals(label.getLabelId()));
    if (!label.getDeleted()) {
      after.add(label);
      // the label index: which sample a label id is of, for deletions that name the label alone
      context.forward(
          new Record<String, Joined>(
              label.getLabelId(), new Joined.Label(label), now.toEpochMilli()));
    }
    Agreement.delta(Agreement.of(before), Agreement.of(after))
        .forEach(
            (labeler, c) ->
                context.forward(
                    new Record<String, Joined>(
                        labeler,
                        new Joined.StatsDelta(
                            LabelerStats.newBuilder()
                                .setLabeler(labeler)
                                .setLabels(c.labels())
                                .setPeerPairs(c.peerPairs())
                                .setPeerAgreed(c.peerAgreed())
                                .setGoldPairs(c.goldPairs())
                                .setGoldAgreed(c.goldAgreed())
                                .setUpdatedAt(now)
                                .build()),
                        now.toEpochMilli())));
    byte[] sampleBytes = samples.get(label.getSampleId());
    if (sampleBytes == null) {
      metrics.joined("waiting");
      return;
    }
    metrics.joined("label");
    pairs(AvroCodec.of(Sample.class).decode(sampleBytes), label, bytes, now, location);
  }

  private void judgement(RbrmJudgement judgement, byte[] bytes, Instant now, String location) {
    String rubric = RubricTable.key(judgement.getRubricId(), judgement.getRubricVersion());
    try {
      rubrics.reward(
          judgement.getRubricId(), judgement.getRubricVersion(), judgement.getRubricClass());
    } catch (IllegalArgumentException e) {
      reject(judgement.getSampleId(), "UNKNOWN_RUBRIC_CLASS", e.getMessage(), bytes, location, now);
      return;
    }
    String key = judgement.getSampleId() + SEP + rubric + SEP + judgement.getCompletionId();
    byte[] stored = judgements.get(key);
    if (stored != null
        && AvroCodec.of(RbrmJudgement.class).decode(stored).getRevision()
            >= judgement.getRevision()) {
      metrics.joined("replay");
      return;
    }
    judgements.put(key, bytes);
    byte[] sampleBytes = samples.get(judgement.getSampleId());
    if (sampleBytes == null) {
      metrics.joined("waiting");
      return;
    }
    metrics.joined("judgement");
    rbrmPairs(
        AvroCodec.of(Sample.class).decode(sampleBytes),
        rubric,
        judgementsOf(judgement.getSampleId() + SEP + rubric + SEP),
        now);
  }

  private void pairs(
      Sample sample, PreferenceLabel label, byte[] bytes, Instant now, String location) {
    List<RewardModelPair> pairs;
    try {
      pairs = PairMaker.human(sample, label, ratingPairs, now);
    } catch (IllegalArgumentException e) {
      reject(sample.getSampleId(), "UNKNOWN_COMPLETION", e.getMessage(), bytes, location, now);
      return;
    }
    emit(pairs);
  }

  private void rbrmPairs(Sample sample, String rubric, List<RbrmJudgement> list, Instant now) {
    String set = PairMaker.rbrmSet(sample.getSampleId(), rubric);
    Long last = sets.get(set);
    long revision = last == null ? 1 : last + 1;
    List<RewardModelPair> pairs;
    try {
      pairs = PairMaker.rbrm(sample, rubric, list, rubrics, revision, now);
    } catch (IllegalArgumentException e) {
      reject(
          sample.getSampleId(),
          "UNKNOWN_COMPLETION",
          e.getMessage(),
          AvroCodec.of(Sample.class).encode(sample),
          set,
          now);
      return;
    }
    sets.put(set, revision);
    emit(pairs);
  }

  private void emit(List<RewardModelPair> pairs) {
    for (RewardModelPair pair : pairs) {
      context.forward(
          new Record<String, Joined>(
              pair.getPromptId(), new Joined.Pair(pair), pair.getCreatedAt().toEpochMilli()));
    }
    if (pairs.get(0).getSetSize() > 0) {
      metrics.pairs(pairs.get(0).getOrigin().name(), pairs.size());
    }
  }

  private void reject(
      String sampleId,
      String reason,
      String detail,
      byte[] original,
      String location,
      Instant now) {
    metrics.rejected(reason);
    context.forward(
        new Record<String, Joined>(
            sampleId == null ? "" : sampleId,
            new Joined.Rejected(
                Rejections.of(
                        sampleId == null ? "" : sampleId,
                        Stage.FEEDBACK,
                        reason,
                        detail,
                        original,
                        64 * 1024,
                        now)
                    .setLocation(location)
                    .setRule("feedback_join")
                    .build()),
            now.toEpochMilli()));
  }

  private List<PreferenceLabel> labelsOf(String sampleId) {
    List<PreferenceLabel> list = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = labels.prefixScan(sampleId + SEP, PREFIX)) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> kv = it.next();
        list.add(AvroCodec.of(PreferenceLabel.class).decode(kv.value));
      }
    }
    return list;
  }

  private List<RbrmJudgement> judgementsOf(String prefix) {
    List<RbrmJudgement> list = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = judgements.prefixScan(prefix, PREFIX)) {
      while (it.hasNext()) {
        list.add(AvroCodec.of(RbrmJudgement.class).decode(it.next().value));
      }
    }
    return list;
  }
}
