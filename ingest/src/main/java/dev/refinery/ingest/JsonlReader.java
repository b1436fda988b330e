package dev.refinery.ingest;

import java.io.IOException;

/** JSONL (also .gz and .zst): one JSON object per line; blank lines are not records. */
final class JsonlReader extends LineDocumentReader {
  private final JsonlFormat format;

  /**
   * @param folder where the paths of images resolve: the folder of the file
   */
  JsonlReader(
      Decompression.Counted in,
      String name,
      java.nio.file.Path folder,
      IngestConfig config,
      Rejector rejector) {
    super(in, name, config, rejector);
    this.format = new JsonlFormat(config, folder);
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

  private static boolean isBlank(byte[] bytes) {
    for (byte b : bytes) {
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }
}
