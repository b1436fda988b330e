package dev.refinery.schemas;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Token ids as they travel in {@link TokenBatch#getTokens()}: little-endian unsigned integers, two
 * bytes each ({@link TokenDType#UINT16}) or four ({@link TokenDType#UINT32}), so a trainer maps
 * them straight into a tensor ({@code numpy.frombuffer(b, dtype="<u2")}).
 */
public final class TokenBytes {
  private TokenBytes() {}

  /** The narrowest dtype that holds every id of a vocabulary of this size. */
  public static TokenDType dtypeFor(int vocabularySize) {
    if (vocabularySize <= 0) {
      throw new IllegalArgumentException("vocabulary size must be positive, was " + vocabularySize);
    }
    return vocabularySize <= 65_536 ? TokenDType.UINT16 : TokenDType.UINT32;
  }

  public static int width(TokenDType dtype) {
    return dtype == TokenDType.UINT16 ? 2 : 4;
  }

  /** Encodes {@code count} ids from {@code tokens[from]}. */
  public static ByteBuffer encode(int[] tokens, int from, int count, TokenDType dtype) {
    ByteBuffer out = ByteBuffer.allocate(count * width(dtype)).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = from; i < from + count; i++) {
      int token = tokens[i];
      if (dtype == TokenDType.UINT16) {
        if (token < 0 || token > 0xFFFF) {
          throw new IllegalArgumentException("token id " + token + " does not fit uint16");
        }
        out.putShort((short) token);
      } else {
        if (token < 0) {
          throw new IllegalArgumentException("token id " + token + " is negative");
        }
        out.putInt(token);
      }
    }
    return out.flip();
  }

  /** Decodes every id in {@code bytes}. */
  public static int[] decode(ByteBuffer bytes, TokenDType dtype) {
    ByteBuffer in = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int width = width(dtype);
    if (in.remaining() % width != 0) {
      throw new IllegalArgumentException(
          in.remaining() + " token bytes is not a multiple of " + width + " (" + dtype + ")");
    }
    int[] tokens = new int[in.remaining() / width];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = dtype == TokenDType.UINT16 ? Short.toUnsignedInt(in.getShort()) : in.getInt();
    }
    return tokens;
  }

  /**
   * Ids per row of a batch: {@code seq_len}, or {@code seq_len + 1} when it carries label tokens.
   */
  public static int rowWidth(TokenBatch batch) {
    return batch.getSeqLen() + (batch.getLabelToken() ? 1 : 0);
  }

  /** Where a span starts in the batch's ids: its row times the row width, plus its offset. */
  public static int position(TokenBatch batch, DocumentSpan span) {
    return span.getSequence() * rowWidth(batch) + span.getOffset();
  }

  /** All token ids of a batch, {@code num_sequences} rows of {@link #rowWidth}, row-major. */
  public static int[] of(TokenBatch batch) {
    int[] tokens = decode(batch.getTokens(), batch.getDtype());
    if (tokens.length != batch.getNumSequences() * rowWidth(batch)) {
      throw new IllegalArgumentException(
          "batch "
              + batch.getBatchId()
              + " holds "
              + tokens.length
              + " tokens, not num_sequences * row width = "
              + batch.getNumSequences() * rowWidth(batch));
    }
    return tokens;
  }
}
