package dev.refinery.tokenizer;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.RecordDecodeException;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Decodes a clean document and encodes its text to token ids. What cannot go on (bytes that do not
 * decode, a stream this job does not write) leaves through the {@link #REJECTED} side output.
 */
final class TokenizeFunction extends ProcessFunction<RawRecord, TokenizedDocument> {
  private static final long serialVersionUID = 1L;

  static final OutputTag<RejectedDocument> REJECTED =
      new OutputTag<>("rejected", TypeInformation.of(RejectedDocument.class));

  private final TokenizerSpec spec;
  private final ChatTemplate template;
  private final Set<String> streams;
  private final int rejectedMaxBytes;
  private transient Tokenizer tokenizer;

  TokenizeFunction(
      TokenizerSpec spec, ChatTemplate template, List<String> streams, int rejectedMaxBytes) {
    this.spec = spec;
    this.template = template;
    this.streams = Set.copyOf(streams);
    this.rejectedMaxBytes = rejectedMaxBytes;
  }

  @Override
  public void open(OpenContext context) {
    tokenizer = Tokenizer.of(spec);
  }

  @Override
  public void processElement(RawRecord record, Context ctx, Collector<TokenizedDocument> out) {
    byte[] bytes = record.value == null ? new byte[0] : record.value;
    Document doc;
    try {
      doc = Topics.CORPUS_CLEAN.deserialize(record.value);
    } catch (SerializationException e) {
      String detail =
          e.getCause() instanceof RecordDecodeException d ? d.getMessage() : e.getMessage();
      reject(ctx, record, null, RejectReason.UNDECODABLE, detail, bytes);
      return;
    }
    if (doc == null) {
      reject(
          ctx,
          record,
          null,
          RejectReason.UNDECODABLE,
          "null value (tombstone) on " + record.topic,
          bytes);
      return;
    }
    String stream = doc.getSource().getStream();
    if (!streams.contains(stream)) {
      reject(
          ctx,
          record,
          doc,
          RejectReason.UNKNOWN_STREAM,
          "stream '"
              + stream
              + "' of source "
              + doc.getSource().getName()
              + " is not one of "
              + TokenizerConfig.STREAMS
              + "="
              + streams
              + "; declare it and provision tokens."
              + stream
              + ".v1",
          bytes);
      return;
    }
    int[] ids;
    int[] lossRanges = null;
    if (doc.getMessages() != null) {
      ChatTemplate.Rendered rendered = template.apply(doc.getMessages(), tokenizer);
      ids = rendered.tokens();
      lossRanges = rendered.lossRanges();
    } else {
      ids = tokenizer.encode(doc.getText());
    }
    if (ids.length == 0) {
      reject(ctx, record, doc, RejectReason.NO_TOKENS, "the text encodes to no tokens", bytes);
      return;
    }

    TokenizedDocument tokenized =
        new TokenizedDocument(
            doc.getId(),
            stream,
            SpanSource.of(doc.getSource()),
            ids,
            doc.getUrl() == null
                ? null
                : dev.refinery.runtime.takedowns.Takedowns.normalize(doc.getUrl()));
    tokenized.lossRanges = lossRanges;
    out.collect(tokenized);
  }

  private void reject(
      Context ctx,
      RawRecord record,
      Document doc,
      RejectReason reason,
      String detail,
      byte[] bytes) {
    ctx.output(
        REJECTED,
        rejection(
            record,
            doc != null ? doc.getId() : null,
            doc != null ? doc.getSource() : null,
            reason,
            detail,
            bytes,
            rejectedMaxBytes,
            ctx.timerService().currentProcessingTime()));
  }

  /**
   * A record the tokenizer refuses, with its reason, where it was read and at most {@code maxBytes}
   * of its bytes; under {@code id}, or the record's key, or a hash of its bytes.
   */
  static RejectedDocument rejection(
      RawRecord record,
      String id,
      dev.refinery.schemas.Source source,
      RejectReason reason,
      String detail,
      byte[] bytes,
      int maxBytes,
      long now) {
    String key =
        id != null ? id : record.key != null ? record.key : DocumentIds.forBytes("unknown", bytes);
    RejectedDocument.Builder rejection =
        Rejections.of(
                key,
                Stage.TOKENIZER,
                reason.name(),
                detail,
                bytes,
                maxBytes,
                Instant.ofEpochMilli(now))
            .setLocation(record.location());
    if (source != null) {
      rejection.setSource(source);
    }
    return rejection.build();
  }
}
