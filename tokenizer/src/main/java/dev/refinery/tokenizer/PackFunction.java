package dev.refinery.tokenizer;

import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Packs the documents of one token stream (the key) into batches with {@link SequencePacker}. Its
 * state is the packer's: the pending tokens, their spans, and the next batch index; with the source
 * offsets in the same checkpoint, a restore continues the stream exactly.
 *
 * <p>A stream that has had no document for {@code flushIdleMs} has its partial batch written (the
 * last sequence padded), so documents do not wait for the next ones to arrive.
 */
final class PackFunction extends KeyedProcessFunction<String, TokenizedDocument, TokenBatch> {
  private static final long serialVersionUID = 1L;

  private final String encoding;
  private final int seqLen;
  private final int sequences;
  private final long flushIdleMs;

  private transient Tokenizer tokenizer;
  private transient ValueState<int[]> pending;
  private transient ListState<PackedSpan> spans;
  private transient ValueState<Long> nextBatchIndex;
  private transient ValueState<Long> lastDocumentAt;
  private transient ValueState<Long> timerAt;
  private transient Counter batches;
  private transient Counter paddingTokens;

  PackFunction(String encoding, int seqLen, int sequences, long flushIdleMs) {
    this.encoding = encoding;
    this.seqLen = seqLen;
    this.sequences = sequences;
    this.flushIdleMs = flushIdleMs;
  }

  @Override
  public void open(OpenContext context) {
    tokenizer = Tokenizer.forName(encoding);
    pending =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    "pending-tokens", PrimitiveArrayTypeInfo.INT_PRIMITIVE_ARRAY_TYPE_INFO));
    spans =
        getRuntimeContext()
            .getListState(
                new ListStateDescriptor<>("pending-spans", TypeInformation.of(PackedSpan.class)));
    nextBatchIndex =
        getRuntimeContext().getState(new ValueStateDescriptor<>("next-batch-index", Types.LONG));
    lastDocumentAt =
        getRuntimeContext().getState(new ValueStateDescriptor<>("last-document-at", Types.LONG));
    timerAt =
        getRuntimeContext().getState(new ValueStateDescriptor<>("flush-timer-at", Types.LONG));
    batches = getRuntimeContext().getMetricGroup().counter("batches");
    paddingTokens = getRuntimeContext().getMetricGroup().counter("paddingTokens");
  }

  @Override
  public void processElement(TokenizedDocument doc, Context ctx, Collector<TokenBatch> out)
      throws Exception {
    SequencePacker packer = load();
    for (PackedBatch batch : packer.add(doc)) {
      out.collect(toBatch(ctx.getCurrentKey(), batch, ctx.timerService().currentProcessingTime()));
    }
    store(packer);
    if (flushIdleMs > 0 && !packer.isEmpty()) {
      long now = ctx.timerService().currentProcessingTime();
      lastDocumentAt.update(now);
      if (timerAt.value() == null) {
        timerAt.update(now + flushIdleMs);
        ctx.timerService().registerProcessingTimeTimer(now + flushIdleMs);
      }
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<TokenBatch> out)
      throws Exception {
    timerAt.clear();
    Long last = lastDocumentAt.value();
    if (last != null && timestamp - last < flushIdleMs) {
      // documents came since the timer was set: wait until the stream has been idle long enough
      timerAt.update(last + flushIdleMs);
      ctx.timerService().registerProcessingTimeTimer(last + flushIdleMs);
      return;
    }
    SequencePacker packer = load();
    PackedBatch batch = packer.flush();
    if (batch != null) {
      out.collect(toBatch(ctx.getCurrentKey(), batch, timestamp));
    }
    store(packer);
  }

  private SequencePacker load() throws Exception {
    int[] tokens = pending.value();
    List<PackedSpan> list = new ArrayList<>();
    Iterable<PackedSpan> stored = spans.get();
    if (stored != null) {
      stored.forEach(list::add);
    }
    Long index = nextBatchIndex.value();
    return new SequencePacker(
        seqLen,
        sequences,
        tokenizer.endOfText(),
        tokens == null ? new int[0] : tokens,
        list,
        index == null ? 0 : index);
  }

  private void store(SequencePacker packer) throws Exception {
    if (packer.isEmpty()) {
      pending.clear();
      spans.clear();
      lastDocumentAt.clear();
    } else {
      pending.update(packer.pending());
      spans.update(packer.spans());
    }
    nextBatchIndex.update(packer.nextBatchIndex());
  }

  private TokenBatch toBatch(String stream, PackedBatch batch, long now) {
    batches.inc();
    paddingTokens.inc(batch.padding());
    return TokenBatch.newBuilder()
        .setBatchId(batchId(stream, batch.batchIndex()))
        .setStream(stream)
        .setBatchIndex(batch.batchIndex())
        .setTokenizer(tokenizer.name())
        .setDtype(tokenizer.dtype())
        .setSeqLen(seqLen)
        .setNumSequences(batch.numSequences())
        .setTokens(TokenBytes.encode(batch.tokens(), 0, batch.tokens().length, tokenizer.dtype()))
        .setPadToken(tokenizer.endOfText())
        .setPadding(batch.padding())
        .setSpans(batch.spans().stream().map(PackedSpan::toAvro).toList())
        .setCreatedAt(Instant.ofEpochMilli(now))
        .build();
  }

  /** {@code <stream>-<index>}, the index zero padded to 12 digits so ids sort in stream order. */
  static String batchId(String stream, long index) {
    return stream + "-" + String.format(Locale.ROOT, "%012d", index);
  }
}
