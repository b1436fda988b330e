package dev.refinery.tokenizer;

import dev.refinery.schemas.Topics;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Sends the tokenizer's rejections to the {@link TokenizeFunction#REJECTED} side output. */
final class RouteRejections extends ProcessFunction<TokenizedDocument, TokenizedDocument> {
  private static final long serialVersionUID = 1L;

  @Override
  public void processElement(TokenizedDocument doc, Context ctx, Collector<TokenizedDocument> out) {
    if (doc.rejection != null) {
      ctx.output(TokenizeFunction.REJECTED, Topics.CORPUS_REJECTED.deserialize(doc.rejection));
    } else {
      out.collect(doc);
    }
  }
}
