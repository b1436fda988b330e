package dev.refinery.ingest;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A plain text file (also .gz and .zst) as one document. Its native id is its path relative to the
 * folder it was found in, so the same tree ingested again gives the same ids.
 */
final class TextReader implements DocumentReader {
  private final Decompression.Counted in;
  private final String nativeId;
  private final int maxBytes;
  private final Rejector rejector;
  private boolean done;

  TextReader(Decompression.Counted in, String nativeId, IngestConfig config, Rejector rejector) {
    this.in = in;
    this.nativeId = nativeId;
    this.maxBytes = config.maxDocumentBytes();
    this.rejector = rejector;
  }

  @Override
  public Parsed next() throws IOException {
    if (done) {
      return null;
    }
    done = true;
    byte[] bytes = in.readNBytes(maxBytes + 1);
    if (bytes.length > maxBytes) {
      long size = maxBytes + 1 + in.transferTo(java.io.OutputStream.nullOutputStream());
      return new Parsed.Rejected(
          rejector
              .rejection(
                  RejectReason.DOCUMENT_TOO_LARGE,
                  "text file of "
                      + size
                      + " bytes is over "
                      + IngestConfig.MAX_DOCUMENT_BYTES
                      + "="
                      + maxBytes,
                  Arrays.copyOf(bytes, maxBytes),
                  size,
                  nativeId)
              .setMeasured((double) size)
              .setThreshold((double) maxBytes)
              .build());
    }
    String text;
    try {
      text = JsonlFormat.utf8(bytes);
    } catch (CharacterCodingException e) {
      return rejector.reject(
          RejectReason.INVALID_UTF8, JsonlFormat.invalidUtf8(e), bytes, nativeId);
    }
    Parsed.Rejected unusable = JsonlFormat.checkText(text, bytes, nativeId, rejector);
    if (unusable != null) {
      return unusable;
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("origin", nativeId);
    return new Parsed.Accepted(
        JsonlFormat.document(rejector.source(), nativeId, null, null, text, attributes)
            .setIngestedAt(rejector.clock().instant())
            .build());
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
    return nativeId + "@" + in.bytes();
  }

  @Override
  public byte[] unfinishedRecord() {
    return new byte[0];
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
