package dev.refinery.ingest;

import java.io.IOException;

/**
 * A reader of a line-oriented input (JSONL, WET): the counted input, its lines, and the name that
 * locations and positions start with.
 */
abstract class LineDocumentReader implements DocumentReader {
  protected final Decompression.Counted in;
  protected final LineReader lines;
  protected final String name;
  protected final Rejector rejector;

  LineDocumentReader(
      Decompression.Counted in, String name, IngestConfig config, Rejector rejector) {
    this.in = in;
    this.lines = new LineReader(in, config.maxDocumentBytes());
    this.name = name;
    this.rejector = rejector;
  }

  @Override
  public long bytesRead() {
    return in.bytes();
  }

  @Override
  public long fileBytes() {
    return in.fileBytes();
  }

  @Override
  public String position() {
    return name + "@" + lines.offset();
  }

  @Override
  public byte[] unfinishedRecord() {
    return lines.partialLine();
  }

  @Override
  public void close() throws IOException {
    lines.close();
  }
}
