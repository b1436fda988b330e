package dev.refinery.ingest;

import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import java.time.Clock;

/** Builds ingest's rejections of one source's input, the same way for every format. */
final class Rejector {
  private final SourceDeclaration source;
  private final int maxOriginalBytes;
  private final int maxDocumentBytes;
  private final Clock clock;

  Rejector(SourceDeclaration source, IngestConfig config, Clock clock) {
    this.source = source;
    this.maxOriginalBytes = config.rejectedMaxBytes();
    this.maxDocumentBytes = config.maxDocumentBytes();
    this.clock = clock;
  }

  /**
   * A rejection of input bytes ({@code bytes} may be cut; {@code size} is the full size), with an
   * id derived from the bytes, so the same bad input is the same rejection.
   */
  RejectedDocument.Builder rejection(
      RejectReason reason, String detail, byte[] bytes, long size, String location) {
    return Rejections.of(
            DocumentIds.forBytes(source.name(), bytes),
            Stage.INGEST,
            reason.name(),
            detail,
            bytes,
            maxOriginalBytes,
            clock.instant())
        .setOriginalSize(size)
        .setSource(source.toSource())
        .setLocation(location);
  }

  Parsed.Rejected reject(
      RejectReason reason, String detail, byte[] bytes, long size, String location) {
    return new Parsed.Rejected(rejection(reason, detail, bytes, size, location).build());
  }

  Parsed.Rejected reject(RejectReason reason, String detail, byte[] bytes, String location) {
    return reject(reason, detail, bytes, bytes.length, location);
  }

  /** How many bytes of a rejected input are kept. */
  int maxOriginalBytes() {
    return maxOriginalBytes;
  }

  /** The largest document, in bytes ({@code ingest.max.document.bytes}). */
  int maxDocumentBytes() {
    return maxDocumentBytes;
  }

  SourceDeclaration source() {
    return source;
  }

  Clock clock() {
    return clock;
  }
}
