package dev.refinery.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Packs documents into fixed-length sequences, Megatron and GPT style: each document's tokens then
 * the end-of-text token, concatenated, cut every {@code seqLen} tokens, {@code sequences} sequences
 * to a batch. A document that crosses a sequence (or batch) boundary is split there, and each piece
 * is a {@link PackedSpan} that says which tokens of which document it holds. End-of-text and
 * padding belong to no span.
 *
 * <p>The packer is the state of one stream: {@link #pending()}, {@link #spans()} and {@link
 * #nextBatchIndex()} are all of it, and a packer rebuilt from them continues exactly.
 */
final class SequencePacker {
  private final int seqLen;
  private final int capacity;
  private final int endOfText;
  private final int[] buffer;
  private final List<PackedSpan> spans;
  private int fill;
  private long nextBatchIndex;

  SequencePacker(
      int seqLen,
      int sequences,
      int endOfText,
      int[] pending,
      List<PackedSpan> spans,
      long nextBatchIndex) {
    this.seqLen = seqLen;
    this.capacity = Math.multiplyExact(seqLen, sequences);
    this.endOfText = endOfText;
    if (pending.length >= capacity) {
      throw new IllegalArgumentException(
          "pending " + pending.length + " tokens, not less than a batch of " + capacity);
    }
    this.buffer = Arrays.copyOf(pending, capacity);
    this.fill = pending.length;
    this.spans = new ArrayList<>(spans);
    this.nextBatchIndex = nextBatchIndex;
  }

  /** An empty packer at the start of a stream. */
  static SequencePacker empty(int seqLen, int sequences, int endOfText) {
    return new SequencePacker(seqLen, sequences, endOfText, new int[0], List.of(), 0);
  }

  /** Appends a document and its end-of-text token; returns the batches that filled up, in order. */
  List<PackedBatch> add(TokenizedDocument doc) {
    List<PackedBatch> full = new ArrayList<>(1);
    int[] tokens = doc.tokens;
    int pos = 0;
    while (pos < tokens.length) {
      int inSequence = fill % seqLen;
      int n = Math.min(tokens.length - pos, seqLen - inSequence);
      System.arraycopy(tokens, pos, buffer, fill, n);
      spans.add(
          new PackedSpan(doc.docId, doc.source, fill / seqLen, inSequence, n, pos, tokens.length));
      fill += n;
      pos += n;
      if (fill == capacity) {
        full.add(emit(0));
      }
    }
    buffer[fill++] = endOfText;
    if (fill == capacity) {
      full.add(emit(0));
    }
    return full;
  }

  /**
   * Writes out what is pending as a batch of as many sequences as it needs, the last one padded
   * with end-of-text; {@code null} if nothing is pending.
   */
  PackedBatch flush() {
    if (fill == 0) {
      return null;
    }
    int sequences = (fill + seqLen - 1) / seqLen;
    int padding = sequences * seqLen - fill;
    Arrays.fill(buffer, fill, fill + padding, endOfText);
    fill += padding;
    return emit(padding);
  }

  private PackedBatch emit(int padding) {
    PackedBatch batch =
        new PackedBatch(
            nextBatchIndex++,
            Arrays.copyOf(buffer, fill),
            fill / seqLen,
            padding,
            List.copyOf(spans));
    spans.clear();
    fill = 0;
    return batch;
  }

  /** The tokens of the unfinished batch. */
  int[] pending() {
    return Arrays.copyOf(buffer, fill);
  }

  List<PackedSpan> spans() {
    return List.copyOf(spans);
  }

  long nextBatchIndex() {
    return nextBatchIndex;
  }

  boolean isEmpty() {
    return fill == 0;
  }
}
