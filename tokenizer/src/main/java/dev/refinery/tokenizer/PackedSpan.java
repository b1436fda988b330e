package dev.refinery.tokenizer;

import dev.refinery.schemas.DocumentSpan;
import java.util.Objects;

/**
 * A run of one document's tokens in one sequence of the pending batch (a Flink POJO, kept in
 * state).
 */
public class PackedSpan {
  public String docId;
  public SpanSource source;
  public int sequence;
  public int offset;
  public int length;
  public int docOffset;
  public int docTokens;
  public String url;

  public PackedSpan() {}

  PackedSpan(
      String docId,
      SpanSource source,
      int sequence,
      int offset,
      int length,
      int docOffset,
      int docTokens,
      String url) {
    this.docId = docId;
    this.source = source;
    this.sequence = sequence;
    this.offset = offset;
    this.length = length;
    this.docOffset = docOffset;
    this.docTokens = docTokens;
    this.url = url;
  }

  DocumentSpan toAvro() {
    return DocumentSpan.newBuilder()
        .setDocId(docId)
        .setSource(source.toSource())
        .setSequence(sequence)
        .setOffset(offset)
        .setLength(length)
        .setDocOffset(docOffset)
        .setDocTokens(docTokens)
        .setUrl(url)
        .build();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PackedSpan s
        && Objects.equals(docId, s.docId)
        && Objects.equals(source, s.source)
        && sequence == s.sequence
        && offset == s.offset
        && length == s.length
        && docOffset == s.docOffset
        && docTokens == s.docTokens
        && Objects.equals(url, s.url);
  }

  @Override
  public int hashCode() {
    return Objects.hash(docId, sequence, offset, length, docOffset, url);
  }

  @Override
  public String toString() {
    return docId + "[" + docOffset + "+" + length + "/" + docTokens + "]@" + sequence + ":"
        + offset;
  }
}
