package dev.refinery.tokenizer;

/**
 * One image's block in a row: its begin token at {@code offset}, {@code length} tokens, begin and
 * end included.
 */
record PackedImage(
    String docId,
    String sha256,
    int index,
    int sequence,
    int offset,
    int length,
    String mediaType,
    int width,
    int height) {
  dev.refinery.schemas.ImagePlacement toAvro() {
    return dev.refinery.schemas.ImagePlacement.newBuilder()
        .setDocId(docId)
        .setSha256(sha256)
        .setIndex(index)
        .setSequence(sequence)
        .setOffset(offset)
        .setLength(length)
        .setMediaType(mediaType)
        .setWidth(width)
        .setHeight(height)
        .build();
  }

  PackedImage inSequence(int row) {
    return new PackedImage(docId, sha256, index, row, offset, length, mediaType, width, height);
  }
}
