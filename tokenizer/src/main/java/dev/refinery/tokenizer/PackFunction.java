package dev.refinery.tokenizer;

import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Packs the documents of one token stream (the key) into batches with a {@link Packer}, which is
 * all the state of the stream; with the source offsets in the same checkpoint, a restore continues
 * the stream exactly. A restored packer whose settings differ from the job's (another sequence
 * length, say) is flushed first, so a change of settings starts at a batch boundary.
 *
 * <p>A stream that has had no document for {@code flushIdleMs} has its open rows closed and its
 * partial batch written, so documents do not wait for the next ones to arrive.
 *
 * <p>Metrics per stream (group {@code stream=<name>}): documents and tokens with their per-second
 * rates, tokens per document (histogram), positions written, padding and its fraction, and the
 * fraction of documents cut across rows.
 */
final class PackFunction extends KeyedProcessFunction<String, TokenizedDocument, TokenBatch> {
  private static final long serialVersionUID = 1L;

  private final TokenizerSpec spec;
  private final String packing;
  private final int seqLen;
  private final boolean labelToken;
  private final int sequences;
  private final int window;
  private final long flushIdleMs;

  private transient Tokenizer tokenizer;
  private transient ValueState<Packer> packers;
  private transient ValueState<Long> lastDocumentAt;
  private transient ValueState<Long> timerAt;
  private transient Map<String, StreamMetrics> metrics;

  PackFunction(
      TokenizerSpec spec,
      String packing,
      int seqLen,
      boolean labelToken,
      int sequences,
      int window,
      long flushIdleMs) {
    this.spec = spec;
    this.packing = packing;
    this.seqLen = seqLen;
    this.labelToken = labelToken;
    this.sequences = sequences;
    this.window = window;
    this.flushIdleMs = flushIdleMs;
  }

  @Override
  public void open(OpenContext context) {
    tokenizer = Tokenizer.of(spec);
    packers =
        getRuntimeContext()
            .getState(new ValueStateDescriptor<>("packer", PackerSerializer.INSTANCE));
    lastDocumentAt =
        getRuntimeContext().getState(new ValueStateDescriptor<>("last-document-at", Types.LONG));
    timerAt =
        getRuntimeContext().getState(new ValueStateDescriptor<>("flush-timer-at", Types.LONG));
    metrics = new HashMap<>();
  }

  @Override
  public void processElement(TokenizedDocument doc, Context ctx, Collector<TokenBatch> out)
      throws Exception {
    long now = ctx.timerService().currentProcessingTime();
    StreamMetrics m = metrics(ctx.getCurrentKey());
    Packer packer = packer(ctx.getCurrentKey(), out, now);
    int pieces = packer.place(doc);
    m.document(doc.tokens.length, pieces);
    emit(ctx.getCurrentKey(), packer, packer.full(), out, now);
    packers.update(packer);
    if (flushIdleMs > 0 && !packer.isEmpty()) {
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
    Packer packer = packer(ctx.getCurrentKey(), out, timestamp);
    emit(ctx.getCurrentKey(), packer, packer.flush(), out, timestamp);
    packers.update(packer);
    lastDocumentAt.clear();
  }

  /**
   * The stream's packer: restored, new, or (settings changed) the restored one flushed and a new
   * one.
   */
  private Packer packer(String stream, Collector<TokenBatch> out, long now) {
    Packer packer;
    try {
      packer = packers.value();
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the packer state of stream " + stream, e);
    }
    if (packer != null
        && !packer.sameSettings(packing, seqLen, labelToken, sequences, tokenizer.endOfText())) {
      emit(stream, packer, packer.flush(), out, now);
      Packer fresh = newPacker();
      fresh.nextBatchIndex = packer.nextBatchIndex;
      return fresh;
    }
    return packer != null ? packer : newPacker();
  }

  private Packer newPacker() {
    return Packer.create(packing, seqLen, labelToken, sequences, tokenizer.endOfText(), window);
  }

  /** Writes out a packer's batches, as that packer made them (its sequence length, its packing). */
  private void emit(
      String stream,
      Packer packer,
      List<PackedBatch> batches,
      Collector<TokenBatch> out,
      long now) {
    for (PackedBatch batch : batches) {
      metrics(stream).batch(batch.tokens().length, batch.padding());
      out.collect(toBatch(stream, batch, now, packer));
    }
  }

  private TokenBatch toBatch(String stream, PackedBatch batch, long now, Packer packer) {
    return TokenBatch.newBuilder()
        .setBatchId(batchId(stream, batch.batchIndex()))
        .setStream(stream)
        .setBatchIndex(batch.batchIndex())
        .setTokenizer(tokenizer.name())
        .setDtype(tokenizer.dtype())
        .setSeqLen(packer.seqLen)
        .setNumSequences(batch.numSequences())
        .setTokens(TokenBytes.encode(batch.tokens(), 0, batch.tokens().length, tokenizer.dtype()))
        .setPadToken(tokenizer.endOfText())
        .setPadding(batch.padding())
        .setSpans(batch.spans().stream().map(PackedSpan::toAvro).toList())
        .setCreatedAt(Instant.ofEpochMilli(now))
        .setPacking(packer.packing())
        .setLabelToken(packer.labelToken)
        .setSequencePadding(Arrays.stream(batch.rowPadding()).boxed().toList())
        .setImages(batch.images().stream().map(PackedImage::toAvro).toList())
        .build();
  }

  private StreamMetrics metrics(String stream) {
    return metrics.computeIfAbsent(
        stream, s -> new StreamMetrics(getRuntimeContext().getMetricGroup().addGroup("stream", s)));
  }

  /** {@code <stream>-<index>}, the index zero padded to 12 digits so ids sort in stream order. */
  static String batchId(String stream, long index) {
    return dev.refinery.schemas.Keys.batch(stream, index);
  }

  /** One stream's packing metrics. */
  private static final class StreamMetrics {
    final Counter documents;
    final Counter tokens;
    final Counter cut;
    final Counter positions;
    final Counter padding;
    final DescriptiveStatisticsHistogram tokensPerDocument =
        new DescriptiveStatisticsHistogram(10_000);

    StreamMetrics(MetricGroup group) {
      documents = group.counter("documents");
      tokens = group.counter("tokens");
      cut = group.counter("documentsCut");
      positions = group.counter("positions");
      padding = group.counter("paddingPositions");
      group.meter("documentsPerSecond", new MeterView(documents));
      group.meter("tokensPerSecond", new MeterView(tokens));
      group.histogram("tokensPerDocument", tokensPerDocument);
      group.gauge(
          "paddingFraction",
          () ->
              positions.getCount() == 0 ? 0.0 : (double) padding.getCount() / positions.getCount());
      group.gauge(
          "cutFraction",
          () -> documents.getCount() == 0 ? 0.0 : (double) cut.getCount() / documents.getCount());
    }

    void document(int n, int pieces) {
      documents.inc();
      tokens.inc(n);
      tokensPerDocument.update(n);
      if (pieces > 1) {
        cut.inc();
      }
    }

    void batch(int positionsWritten, int paddingPositions) {
      positions.inc(positionsWritten);
      padding.inc(paddingPositions);
    }
  }
}
