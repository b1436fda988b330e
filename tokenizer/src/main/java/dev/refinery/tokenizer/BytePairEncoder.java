package dev.refinery.tokenizer;

import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-pair encoding of ordinary text ({@code encode_ordinary}) with the ids of tiktoken and
 * jtokkit, at about twice jtokkit's speed for {@code cl100k_base} on one core ({@code bench/run
 * tokenize}). The text is split into pieces by a scan ({@link Cl100kSplit}, {@link O200kSplit}) or
 * by the encoding's regex (the pattern jtokkit uses, so that the two split alike); each piece is
 * encoded to UTF-8 once, into a buffer of the call's own; pieces and their byte pairs are looked up
 * in a {@link RankTable} without copying or boxing. jtokkit copies every piece and sub-piece into
 * arrays of their own and looks them up in hash maps of boxed keys, which took more than half of
 * the tokenizing threads' time in the stage.
 *
 * <p>A piece that is not a token is merged by byte-pair ranks as tiktoken's {@code byte_pair_merge}
 * does (the lowest rank first, the leftmost of equal ranks); from {@link #LARGE_PIECE} bytes on
 * with a heap instead of a scan, so that a megabyte without a space costs n log n and not n². An
 * unpaired surrogate is encoded as U+FFFD. {@code TiktokenParityTest} holds the ids to tiktoken's
 * own on its golden corpus, {@code BytePairEncoderTest} to jtokkit's on real web text and on random
 * texts of the characters where a split or a merge goes wrong.
 *
 * <p>Thread-safe: a call's buffers are its own.
 */
final class BytePairEncoder {
  /** Pieces of this many bytes or more are merged with a heap. */
  static final int LARGE_PIECE = 256;

  /** A split written out as a scan: where the piece that begins at {@code start} ends. */
  interface Scan {
    int pieceEnd(String text, int start);
  }

  private final RankTable ranks;
  private final Scan scan; // or
  private final Pattern regex;
  private final int largePiece;

  /**
   * An encoding split by a scan.
   *
   * @throws IllegalArgumentException if a byte is not a token of the vocabulary
   */
  BytePairEncoder(RankTable ranks, Scan scan) {
    this(ranks, scan, null, LARGE_PIECE);
  }

  /**
   * An encoding split by its regex.
   *
   * @throws IllegalArgumentException if a byte is not a token of the vocabulary
   */
  BytePairEncoder(RankTable ranks, Pattern regex) {
    this(ranks, null, regex, LARGE_PIECE);
  }

  /** With another threshold for the heap merge: tests use it to run both merges on any piece. */
  BytePairEncoder(RankTable ranks, Scan scan, Pattern regex, int largePiece) {
    for (int b = 0; b < 256; b++) {
      if (ranks.rank((byte) b) == RankTable.NONE) {
        // tiktoken's vocabularies are byte-level: every byte is a token, so every merge ends
        throw new IllegalArgumentException(
            "byte 0x" + Integer.toHexString(b) + " is not a token of the vocabulary");
      }
    }
    if ((scan == null) == (regex == null)) {
      throw new IllegalArgumentException("a scan or a regex splits the text, one of them");
    }
    this.ranks = ranks;
    this.scan = scan;
    this.regex = regex;
    this.largePiece = largePiece;
  }

  /**
   * The token ids of a text, special-token text as ordinary text. Text that the regex of an
   * encoding matches no piece of is left out, as tiktoken and jtokkit leave it (the built-in
   * encodings' regexes match every character).
   */
  int[] encode(String text) {
    Call call = new Call(text.length());
    if (scan != null) {
      for (int start = 0, n = text.length(); start < n; ) {
        int end = scan.pieceEnd(text, start);
        call.piece(text, start, end);
        start = end;
      }
    } else {
      Matcher pieces = regex.matcher(text);
      while (pieces.find()) {
        if (pieces.end() > pieces.start()) {
          call.piece(text, pieces.start(), pieces.end());
        }
      }
    }
    return Arrays.copyOf(call.out, call.size);
  }

  // ---- one call's pieces and tokens

  private final class Call {
    int[] out;
    int size;
    byte[] piece = new byte[64];
    // merge()'s scratch, made when a piece first needs merging: most texts' pieces are all tokens
    int[] starts = new int[0];
    int[] pairRanks = starts;
    int[] tokens = starts;

    Call(int chars) {
      out = new int[Math.max(16, chars / 3)];
    }

    void add(int token) {
      if (size == out.length) {
        out = Arrays.copyOf(out, out.length * 2);
      }
      out[size++] = token;
    }

    /** Encodes {@code s[from, to)}: its UTF-8 bytes as one token, or merged by ranks. */
    void piece(String s, int from, int to) {
      int length = utf8(s, from, to);
      int rank = ranks.rank(piece, 0, length);
      if (rank != RankTable.NONE) {
        add(rank);
      } else if (length < largePiece) {
        merge(length);
      } else {
        mergeLarge(length);
      }
    }

    /**
     * Writes the UTF-8 bytes of {@code s[from, to)} into {@link #piece}, an unpaired surrogate as
     * U+FFFD, the replacement character: a Java string may hold one (a text read from Avro does
     * not), UTF-8 cannot. tiktoken refuses such a text; jtokkit writes the surrogate's three bytes
     * (which no decoder reads back) for cl100k_base and a question mark for the other encodings.
     */
    int utf8(String s, int from, int to) {
      if (piece.length < (to - from) * 3) {
        piece = new byte[(to - from) * 3];
      }
      byte[] b = piece;
      int at = 0;
      for (int i = from; i < to; i++) {
        char ch = s.charAt(i);
        if (ch < 0x80) {
          b[at++] = (byte) ch;
          continue;
        }
        int c = s.codePointAt(i);
        if (c >= 0xD800 && c <= 0xDFFF) {
          c = 0xFFFD; // unpaired
        }
        if (c < 0x800) {
          b[at++] = (byte) (0xC0 | c >> 6);
          b[at++] = (byte) (0x80 | c & 0x3F);
        } else if (c < 0x10000) {
          b[at++] = (byte) (0xE0 | c >> 12);
          b[at++] = (byte) (0x80 | c >> 6 & 0x3F);
          b[at++] = (byte) (0x80 | c & 0x3F);
        } else {
          b[at++] = (byte) (0xF0 | c >> 18);
          b[at++] = (byte) (0x80 | c >> 12 & 0x3F);
          b[at++] = (byte) (0x80 | c >> 6 & 0x3F);
          b[at++] = (byte) (0x80 | c & 0x3F);
          i++;
        }
      }
      return at;
    }

    /** The rank of the piece's bytes from {@code from} to {@code to}; MAX_VALUE: not a token. */
    private int pair(int from, int to) {
      int rank = ranks.rank(piece, from, to - from);
      return rank == RankTable.NONE ? Integer.MAX_VALUE : rank;
    }

    /**
     * tiktoken's byte_pair_merge: parts start as single bytes; the adjacent two whose bytes
     * together have the lowest rank merge, until no two do.
     */
    void merge(int length) {
      if (starts.length < length + 1) {
        int size = Math.max(length + 1, 64);
        starts = new int[size];
        pairRanks = new int[size];
        tokens = new int[size];
      }
      int[] at = starts;
      int[] rank = pairRanks;
      int[] token = tokens;
      int parts = length; // parts i start at at[i]; at[parts] = length; token[i]: its rank
      for (int i = 0; i <= length; i++) {
        at[i] = i;
      }
      for (int i = 0; i < length; i++) {
        token[i] = ranks.rank(piece[i]);
      }
      for (int i = 0; i < parts - 1; i++) {
        rank[i] = pair(i, i + 2);
      }
      rank[parts - 1] = Integer.MAX_VALUE;
      while (parts > 1) {
        int min = 0;
        for (int i = 1; i < parts - 1; i++) {
          if (rank[i] < rank[min]) {
            min = i;
          }
        }
        if (rank[min] == Integer.MAX_VALUE) {
          break;
        }
        // part min takes part min + 1: the pair's rank is the token of the two together
        token[min] = rank[min];
        System.arraycopy(at, min + 2, at, min + 1, parts - min - 1);
        System.arraycopy(token, min + 2, token, min + 1, parts - min - 2);
        System.arraycopy(rank, min + 2, rank, min + 1, parts - min - 2);
        parts--;
        rank[min] = min + 2 <= parts ? pair(at[min], at[min + 2]) : Integer.MAX_VALUE;
        if (min > 0) {
          rank[min - 1] = pair(at[min - 1], at[min + 1]);
        }
      }
      for (int i = 0; i < parts; i++) {
        add(token[i]);
      }
    }

    /**
     * The same merge with the parts in a linked list and the candidate pairs in a heap ordered by
     * rank, then by position: n log n. A popped pair whose left part has gone or whose rank changed
     * since it was pushed is skipped (a part's pair only ever grows, so its rank never repeats).
     */
    void mergeLarge(int length) {
      int[] next = new int[length + 1];
      int[] prev = new int[length + 1];
      int[] rank = new int[length + 1]; // of part i with the part after it; -1: part i is gone
      int[] token = new int[length]; // of part i
      long[] heap = new long[3 * length]; // a merge pushes at most two pairs
      int heapSize = 0;
      for (int i = 0; i <= length; i++) {
        next[i] = i + 1;
        prev[i] = i - 1;
      }
      for (int i = 0; i < length; i++) {
        token[i] = ranks.rank(piece[i]);
      }
      for (int i = 0; i + 1 < length; i++) {
        rank[i] = pair(i, i + 2);
        if (rank[i] != Integer.MAX_VALUE) {
          heapSize = push(heap, heapSize, (long) rank[i] << 32 | i);
        }
      }
      rank[length - 1] = Integer.MAX_VALUE;
      while (heapSize > 0) {
        long top = heap[0];
        heapSize = pop(heap, heapSize);
        int i = (int) top;
        if (rank[i] != (int) (top >>> 32)) {
          continue; // stale
        }
        int gone = next[i];
        token[i] = rank[i];
        next[i] = next[gone];
        prev[next[gone]] = i;
        rank[gone] = -1;
        int after = next[i];
        rank[i] = after < length ? pair(i, next[after]) : Integer.MAX_VALUE;
        if (rank[i] != Integer.MAX_VALUE) {
          heapSize = push(heap, heapSize, (long) rank[i] << 32 | i);
        }
        int before = prev[i];
        if (before >= 0) {
          rank[before] = pair(before, after);
          if (rank[before] != Integer.MAX_VALUE) {
            heapSize = push(heap, heapSize, (long) rank[before] << 32 | before);
          }
        }
      }
      for (int i = 0; i < length; i = next[i]) {
        add(token[i]);
      }
    }
  }

  private static int push(long[] heap, int size, long value) {
    int i = size;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (heap[parent] <= value) {
        break;
      }
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = value;
    return size + 1;
  }

  private static int pop(long[] heap, int size) {
    long last = heap[--size];
    int i = 0;
    while (true) {
      int child = 2 * i + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && heap[child + 1] < heap[child]) {
        child++;
      }
      if (heap[child] >= last) {
        break;
      }
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return size;
  }
}
