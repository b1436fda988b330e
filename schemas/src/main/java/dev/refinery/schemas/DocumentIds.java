package dev.refinery.schemas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Stable document ids: the first 128 bits of SHA-256 over the source name and the document's native
 * id, as 32 lower-case hex digits. Re-ingesting the same input yields the same ids, so duplicates
 * from a re-run are recognised downstream.
 *
 * <p>The native id is the record id where the source has one, else the URL, else the text itself
 * ({@link #forContent}). Any language can recompute an id:
 *
 * <pre>
 * sha256(utf8(source) + b"\x00" + utf8(native_id)).hexdigest()[:32]
 * </pre>
 */
public final class DocumentIds {
  private DocumentIds() {}

  /** The id of the document with this native id (record id or URL) in this source. */
  public static String of(String sourceName, String nativeId) {
    if (sourceName == null || sourceName.isEmpty()) {
      throw new IllegalArgumentException("source name is required for a document id");
    }
    if (nativeId == null || nativeId.isEmpty()) {
      throw new IllegalArgumentException("native id is required for a document id");
    }
    MessageDigest sha = sha256();
    sha.update(sourceName.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(nativeId.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(sha.digest(), 0, 16);
  }

  /** The id of a document that has neither record id nor URL: derived from its text. */
  public static String forContent(String sourceName, String text) {
    return of(sourceName, contentNativeId(text.getBytes(StandardCharsets.UTF_8)));
  }

  /** The id for input bytes that never became a document (an unparseable line). */
  public static String forBytes(String sourceName, byte[] bytes) {
    return of(sourceName, contentNativeId(bytes));
  }

  private static String contentNativeId(byte[] bytes) {
    return "sha256:" + HexFormat.of().formatHex(sha256().digest(bytes));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
