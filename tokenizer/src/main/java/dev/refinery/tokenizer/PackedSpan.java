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

  /** The whole document's [start, end) pairs of tokens to learn from; null: all of them. */
  public int[] lossRanges;

  public PackedSpan() {}

  PackedSpan(
      String docId,
      SpanSource source,
      int sequence,
      int offset,
      int length,
      int docOffset,
      int docTokens,
      String url,
      int[] lossRanges) {
    this.docId = docId;
    this.source = source;
    this.sequence = sequence;
    this.offset = offset;
    this.length = length;
    this.docOffset = docOffset;
    this.docTokens = docTokens;
    this.url = url;
    this.lossRanges = lossRanges;
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
        .setLossRanges(lossRangesInSpan())
        .build();
  }

  /** The document's ranges that fall in this span, clipped to it; null when all tokens train. */
  java.util.List<Integer> lossRangesInSpan() {
    if (lossRanges == null) {
      return null;
    }
    java.util.List<Integer> in = new java.util.ArrayList<>();
    int end = docOffset + length;
    for (int i = 0; i + 1 < lossRanges.length; i += 2) {
      int from = Math.max(lossRanges[i], docOffset);
      int to = Math.min(lossRanges[i + 1], end);
      if (from < to) {
        in.add(from);
        in.add(to);
      }
    }
    return in;
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
        && Objects.equals(url, s.url)
        && java.util.Arrays.equals(lossRanges, s.lossRanges);
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
