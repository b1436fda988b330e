package dev.refinery.tokenizer;

import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.Topics;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Gathers the pairs of {@code feedback.rm-pairs.v1} into their sets (keyed by prompt, as the topic
 * is), tokenizing each as it comes, and hands on a set once all its pairs at one revision are
 * there.
 *
 * <ul>
 *   <li>A pair of a newer revision than the set gathered so far replaces it; an older one is
 *       dropped (counted in {@code stalePairs}).
 *   <li>A retraction ({@code set_size} 0) drops a set still gathering. A set already packed stays
 *       in its batch: the topic is the training record (counted in {@code
 *       retractionsAfterPacking}).
 *   <li>A set already packed at a revision is not packed again at that revision; a newer revision
 *       is packed as a set of its own.
 *   <li>What cannot be read or packed is a rejection on {@code corpus.rejected.v1} with its reason.
 * </ul>
 */
final class PairSetFunction extends KeyedProcessFunction<String, RawRecord, PairSet> {
  private static final long serialVersionUID = 1L;

  private final TokenizerSpec spec;
  private final ChatTemplate template;
  private final int rejectedMaxBytes;

  private transient Tokenizer tokenizer;
  private transient MapState<String, PairSet> gathering;
  private transient MapState<String, Long> packed;
  private transient Counter stale;
  private transient Counter lateRetractions;
  private transient Counter sets;

  PairSetFunction(TokenizerSpec spec, ChatTemplate template, int rejectedMaxBytes) {
    this.spec = spec;
    this.template = template;
    this.rejectedMaxBytes = rejectedMaxBytes;
  }

  @Override
  public void open(OpenContext context) {
    tokenizer = Tokenizer.of(spec);
    gathering =
        getRuntimeContext()
            .getMapState(
                new MapStateDescriptor<>(
                    "pair-sets", Types.STRING, TypeInformation.of(PairSet.class)));
    packed =
        getRuntimeContext()
            .getMapState(new MapStateDescriptor<>("packed-revisions", Types.STRING, Types.LONG));
    var group = getRuntimeContext().getMetricGroup().addGroup("preference");
    stale = group.counter("stalePairs");
    lateRetractions = group.counter("retractionsAfterPacking");
    sets = group.counter("sets");
  }

  @Override
  public void processElement(RawRecord record, Context ctx, Collector<PairSet> out)
      throws Exception {
    byte[] bytes = record.value == null ? new byte[0] : record.value;
    RewardModelPair pair;
    try {
      pair = Topics.FEEDBACK_RM_PAIRS.deserialize(record.value);
    } catch (SerializationException e) {
      String detail = TokenizeFunction.decodeFailure(e);
      reject(ctx, record, null, RejectReason.UNDECODABLE, detail, bytes);
      return;
    }
    if (pair == null) {
      reject(ctx, record, null, RejectReason.UNDECODABLE, "null value on " + record.topic, bytes);
      return;
    }
    String setId = pair.getSetId();
    long revision = pair.getSetRevision();
    Long packedAt = packed.get(setId);
    if (pair.getSetSize() == 0) {
      PairSet open = gathering.get(setId);
      if (open != null && open.revision <= revision) {
        gathering.remove(setId);
      }
      if (packedAt != null && packedAt <= revision) {
        lateRetractions.inc();
      }
      return;
    }
    String bad = problem(pair);
    if (bad != null) {
      reject(ctx, record, pair.getPairId(), RejectReason.BAD_PAIR, bad, bytes);
      return;
    }
    if (packedAt != null && packedAt >= revision) {
      stale.inc();
      return;
    }
    PairSet set = gathering.get(setId);
    if (set != null && set.revision > revision) {
      stale.inc();
      return;
    }
    if (set == null || set.revision < revision) {
      set = new PairSet(setId, revision, pair.getSetSize());
    }
    set.add(PairBatches.tokenize(pair, template, tokenizer));
    if (set.complete()) {
      gathering.remove(setId);
      packed.put(setId, revision);
      sets.inc();
      out.collect(set);
    } else {
      gathering.put(setId, set);
    }
  }

  /** Why a pair cannot be trained on, or null. */
  private static String problem(RewardModelPair pair) {
    if (pair.getSetId().isBlank() || pair.getPairId().isBlank()) {
      return "a pair needs its pair_id and set_id";
    }
    if (pair.getChosen().isBlank() || pair.getRejected().isBlank()) {
      return "pair " + pair.getPairId() + " has an empty chosen or rejected response";
    }
    return null;
  }

  private void reject(
      Context ctx, RawRecord record, String id, RejectReason reason, String detail, byte[] bytes) {
    ctx.output(
        TokenizeFunction.REJECTED,
        TokenizeFunction.rejection(
            record,
            id,
            null,
            reason,
            detail,
            bytes,
            rejectedMaxBytes,
            ctx.timerService().currentProcessingTime()));
  }
}
