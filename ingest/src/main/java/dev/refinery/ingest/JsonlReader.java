package dev.refinery.ingest;

import java.io.IOException;

/** JSONL (also .gz and .zst): one JSON object per line; blank lines are not records. */
final class JsonlReader implements DocumentReader {
  private final LineReader lines;
  private final Decompression.Counted in;
  private final JsonlFormat format;
  private final Rejector rejector;
  private final String name;

  JsonlReader(Decompression.Counted in, String name, IngestConfig config, Rejector rejector) {
    this.in = in;
    this.lines = new LineReader(in, config.maxDocumentBytes());
    this.format = new JsonlFormat(config);
    this.rejector = rejector;
    this.name = name;
  }

  @Override
  public Parsed next() throws IOException {
    for (LineReader.Line line = lines.next(); line != null; line = lines.next()) {
      if (!isBlank(line.bytes())) {
        return format.parse(line.bytes(), line.length(), name + ":" + line.number(), rejector);
      }
    }
    return null;
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

  private static boolean isBlank(byte[] bytes) {
    for (byte b : bytes) {
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() throws IOException {
    lines.close();
  }
}
