package dev.refinery.tokenizer;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.TimestampedCollector;
import org.apache.flink.streaming.runtime.streamrecord.StreamElement;
import org.apache.flink.streaming.runtime.streamrecord.StreamElementSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Tokenizes on the slot's own task thread ({@code tokenizer.tokenize.threads=1}, the default): each
 * document is decoded, encoded and handed on in the call that reads it, so nothing waits for
 * another thread and nothing is in flight at a checkpoint.
 *
 * <p>On two cores one slot went 46.3 to 51.5 MB/s this way in four jobs of {@code bench/run
 * tokenize}, on 1.56 cores of the JVM (36.1 in a fifth, in a run where jtokkit too went at half its
 * speed). Two tokenizing threads behind Flink's ordered async operator went 28.7 to 37.8 MB/s with
 * a handoff a document, which woke the task thread 16,600 times a second and preempted each
 * tokenizing thread 7,000 to 9,000 times, so that encoding, whose rank table must stay in the
 * core's caches, ran at a third of its speed alone; handed work in runs ({@link
 * TokenizeFunction.Runs}) they went 45.1 and 53.5 MB/s on 1.84 to 1.88 cores. More threads a slot
 * pay where a slot has more cores than the input has partitions.
 *
 * <p>It runs under the async operator's uid and reads that operator's state: documents that were in
 * flight when a job with more threads took its last checkpoint are tokenized first when this one
 * starts from it, in the order they came. The state is left empty for a job that goes back to more
 * threads.
 */
final class InlineTokenize extends AbstractStreamOperator<TokenizedDocument>
    implements OneInputStreamOperator<RawRecord, TokenizedDocument> {
  private static final long serialVersionUID = 1L;

  /** Where Flink's {@code AsyncWaitOperator} keeps the records in flight at a checkpoint. */
  static final String ASYNC_STATE = "_async_wait_operator_state_";

  private final TokenizeFunction function;
  private transient ListState<StreamElement> inFlight;
  private transient TimestampedCollector<TokenizedDocument> out;

  InlineTokenize(TokenizeFunction function) {
    this.function = function;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    TypeSerializer<RawRecord> records =
        getOperatorConfig().getTypeSerializerIn(0, getUserCodeClassloader());
    inFlight =
        context
            .getOperatorStateStore()
            .getListState(
                new ListStateDescriptor<>(ASYNC_STATE, new StreamElementSerializer<>(records)));
  }

  @Override
  public void open() throws Exception {
    super.open();
    function.start();
    out = new TimestampedCollector<>(output);
    for (StreamElement element : inFlight.get()) {
      if (element.isRecord()) {
        processElement(element.asRecord());
      }
    }
    inFlight.clear();
  }

  @Override
  public void processElement(StreamRecord<RawRecord> element) {
    out.setTimestamp(element);
    out.collect(function.tokenize(element.getValue(), System.currentTimeMillis()));
  }

  @Override
  public void close() throws Exception {
    function.close();
    super.close();
  }
}
