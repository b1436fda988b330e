package dev.refinery.tokenizer;

import java.util.List;

/**
 * A full (or flushed) batch from the packer: {@code numSequences * seqLen} ids, the last {@code
 * padding} of them padding.
 */
record PackedBatch(
    long batchIndex, int[] tokens, int numSequences, int padding, List<PackedSpan> spans) {}
