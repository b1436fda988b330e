package dev.refinery.tokenizer;

import dev.refinery.schemas.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Packs complete pair sets into batches of the preference stream (the key), {@code batchPairs}
 * pairs a batch: a set that does not fit in the open batch closes it, a set larger than a batch is
 * one batch of its own, and a stream idle for {@code flushIdleMs} writes its open batch. The open
 * sets and the next batch index are the stream's state, checkpointed with the source offsets.
 */
final class PairPackFunction extends KeyedProcessFunction<String, PairSet, TokenBatch> {
  private static final long serialVersionUID = 1L;

  private final TokenizerSpec spec;
  private final int seqLen;
  private final boolean labelToken;
  private final int batchPairs;
  private final long flushIdleMs;

  private transient Tokenizer tokenizer;
  private transient ListState<PairSet> open;
  private transient ValueState<Long> nextIndex;
  private transient ValueState<Long> timerAt;
  private transient Counter batches;
  private transient Counter pairs;

  PairPackFunction(
      TokenizerSpec spec, int seqLen, boolean labelToken, int batchPairs, long flushIdleMs) {
    this.spec = spec;
    this.seqLen = seqLen;
    this.labelToken = labelToken;
    this.batchPairs = batchPairs;
    this.flushIdleMs = flushIdleMs;
  }

  @Override
  public void open(OpenContext context) {
    tokenizer = Tokenizer.of(spec);
    open =
        getRuntimeContext()
            .getListState(
                new ListStateDescriptor<>("open-sets", TypeInformation.of(PairSet.class)));
    nextIndex =
        getRuntimeContext().getState(new ValueStateDescriptor<>("next-batch-index", Types.LONG));
    timerAt =
        getRuntimeContext().getState(new ValueStateDescriptor<>("flush-timer-at", Types.LONG));
    var group = getRuntimeContext().getMetricGroup().addGroup("preference");
    batches = group.counter("batches");
    pairs = group.counter("pairs");
  }

  @Override
  public void processElement(PairSet set, Context ctx, Collector<TokenBatch> out) throws Exception {
    long now = ctx.timerService().currentProcessingTime();
    List<PairSet> sets = sets();
    if (!sets.isEmpty() && count(sets) + set.pairs.length > batchPairs) {
      write(ctx.getCurrentKey(), sets, out, now);
      sets = new ArrayList<>();
    }
    sets.add(set);
    if (count(sets) >= batchPairs) {
      write(ctx.getCurrentKey(), sets, out, now);
      sets = new ArrayList<>();
    }
    open.update(sets);
    if (!sets.isEmpty() && flushIdleMs > 0) {
      long at = now + flushIdleMs;
      Long previous = timerAt.value();
      if (previous != null) {
        ctx.timerService().deleteProcessingTimeTimer(previous);
      }
      timerAt.update(at);
      ctx.timerService().registerProcessingTimeTimer(at);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<TokenBatch> out)
      throws Exception {
    timerAt.clear();
    List<PairSet> sets = sets();
    if (!sets.isEmpty()) {
      write(ctx.getCurrentKey(), sets, out, timestamp);
      open.clear();
    }
  }

  private List<PairSet> sets() throws Exception {
    List<PairSet> sets = new ArrayList<>();
    Iterable<PairSet> stored = open.get();
    if (stored != null) {
      stored.forEach(sets::add);
    }
    return sets;
  }

  private static int count(List<PairSet> sets) {
    return sets.stream().mapToInt(s -> s.pairs.length).sum();
  }

  private void write(String stream, List<PairSet> sets, Collector<TokenBatch> out, long now)
      throws Exception {
    long index = nextIndex.value() == null ? 0L : nextIndex.value();
    out.collect(PairBatches.batch(stream, index, sets, seqLen, labelToken, tokenizer, now));
    nextIndex.update(index + 1);
    batches.inc();
    pairs.inc(count(sets));
  }
}
