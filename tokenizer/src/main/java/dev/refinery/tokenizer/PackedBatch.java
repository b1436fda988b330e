package dev.refinery.tokenizer;

import java.util.List;

/**
 * A full (or flushed) batch from a packer: {@code numSequences} rows of ids, {@code padding}
 * positions of them padding, {@code rowPadding[r]} at the end of row {@code r}; the images its rows
 * hold, each whole in one row.
 */
record PackedBatch(
    long batchIndex,
    int[] tokens,
    int numSequences,
    int padding,
    int[] rowPadding,
    List<PackedSpan> spans,
    List<PackedImage> images) {}
