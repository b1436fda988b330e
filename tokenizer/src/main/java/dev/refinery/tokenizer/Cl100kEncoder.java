package dev.refinery.tokenizer;

import java.util.Arrays;

/**
 * GPT-4's {@code cl100k_base} as ordinary text ({@code encode_ordinary}): the same ids as tiktoken
 * and jtokkit, at about twice jtokkit's speed on one core ({@code bench/run tokenize}). The text is
 * split by a scan; each piece is encoded to UTF-8 once, into a buffer of the call's own; the pieces
 * and their byte pairs are looked up in a {@link RankTable} without copying or boxing. jtokkit
 * copies every piece and sub-piece into arrays of their own and looks them up in hash maps of boxed
 * keys, which took more than half of the tokenizing threads' time in the stage.
 *
 * <p>The split is tiktoken's pattern for cl100k_base,
 *
 * <pre>{@code
 * '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*
 *   |\s*[\r\n]|\s+(?!\S)|\s+
 * }</pre>
 *
 * written out as a scan with the rules and character classes of jtokkit's {@code Cl100kParser}
 * (jtokkit: MIT License, Copyright (c) 2023 Knuddels, Philip Müller; the JDK's Unicode tables), so
 * that the two split every text alike. {@code TiktokenParityTest} holds the ids to tiktoken's own
 * on its golden corpus, {@code Cl100kEncoderTest} to jtokkit's on real web text and on random texts
 * of the characters where a split or a merge goes wrong. A piece that is not a token is merged by
 * byte-pair ranks as tiktoken's {@code byte_pair_merge} does (the lowest rank first, the leftmost
 * of equal ranks); from {@link #LARGE_PIECE} bytes on with a heap instead of a scan, so that a
 * megabyte without a space costs n log n and not n².
 *
 * <p>Thread-safe: a call's buffers are its own.
 */
final class Cl100kEncoder {
  /** Pieces of this many bytes or more are merged with a heap. */
  static final int LARGE_PIECE = 256;

  private static final int LETTER = 1;
  private static final int NUMBER = 2;
  private static final int SPACE = 4; // white space
  private static final int NEWLINE = 8; // \r and \n, also SPACE
  private static final byte[] ASCII = new byte[128];
  private static final int[] OTHER_SPACES = {
    0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
    0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000
  };

  static {
    for (int c = 'a'; c <= 'z'; c++) {
      ASCII[c] = LETTER;
      ASCII[c - 'a' + 'A'] = LETTER;
    }
    for (int c = '0'; c <= '9'; c++) {
      ASCII[c] = NUMBER;
    }
    for (char c : " \t\u000B\u000C".toCharArray()) {
      ASCII[c] = SPACE;
    }
    ASCII['\r'] = SPACE | NEWLINE;
    ASCII['\n'] = SPACE | NEWLINE;
  }

  private final RankTable ranks;
  private final int largePiece;

  Cl100kEncoder(RankTable ranks) {
    this(ranks, LARGE_PIECE);
  }

  /** With another threshold for the heap merge: tests use it to run both merges on any piece. */
  Cl100kEncoder(RankTable ranks, int largePiece) {
    this.ranks = ranks;
    this.largePiece = largePiece;
  }

  /** The token ids of a text, special-token text as ordinary text. */
  int[] encode(String text) {
    Call call = new Call(text.length());
    int n = text.length();
    for (int start = 0; start < n; ) {
      int end = pieceEnd(text, start);
      call.piece(text, start, end);
      start = end;
    }
    return Arrays.copyOf(call.out, call.size);
  }

  // ---- the split

  private static int classOf(int c) {
    if (c < 128) {
      return c < 0 ? 0 : ASCII[c];
    }
    switch (Character.getType(c)) {
      case Character.UPPERCASE_LETTER,
      Character.LOWERCASE_LETTER,
      Character.TITLECASE_LETTER,
      Character.MODIFIER_LETTER,
      Character.OTHER_LETTER:
        return c <= 0x323AF ? LETTER : 0;
      case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER:
        return c <= 0x1FBF9 ? NUMBER : 0;
      default:
        return Arrays.binarySearch(OTHER_SPACES, c) >= 0 ? SPACE : 0;
    }
  }

  private static boolean is(int c, int classes) {
    return (classOf(c) & classes) != 0;
  }

  /** Neither white space, letter nor number; not a character (-1, past the end) either. */
  private static boolean isPunctuation(int c) {
    return c >= 0 && classOf(c) == 0;
  }

  private static int codePointAt(String s, int i) {
    return i < s.length() ? s.codePointAt(i) : -1;
  }

  /** Where the piece that begins at {@code start} ends. */
  static int pieceEnd(String s, int start) {
    int n = s.length();
    int c0 = s.codePointAt(start);
    int next = start + Character.charCount(c0);
    int c1 = codePointAt(s, next);
    if (c0 == '\'' && c1 >= 0) {
      // 1. the contractions 's 'd 't 'm 'll 've 're, in any case
      if ("sdtmSDTMſ".indexOf(c1) >= 0) {
        return next + Character.charCount(c1);
      }
      if (next + 1 < n && isLongContraction(c1, s.codePointAt(next + 1))) {
        return next + 2;
      }
    }
    int class0 = classOf(c0);
    if ((class0 & LETTER) != 0
        || ((class0 & NEWLINE) == 0 && (class0 & NUMBER) == 0 && is(c1, LETTER))) {
      // 2. a word, after one character that is not a newline, letter or number: " of", "It", "(the"
      int end = next;
      while (end < n && is(c1 = s.codePointAt(end), LETTER)) {
        end += Character.charCount(c1);
      }
      return end;
    }
    if ((class0 & NUMBER) != 0) {
      // 3. one to three numbers: "4", "235", "3½"
      int end = next;
      for (int i = 1; i < 3 && end < n && is(c1 = s.codePointAt(end), NUMBER); i++) {
        end += Character.charCount(c1);
      }
      return end;
    }
    if (isPunctuation(c0) || (c0 == ' ' && isPunctuation(c1))) {
      // 4. punctuation, after one space, and the newlines after it: ",", " .", "\"", ");\n"
      int end = next;
      while (end < n && isPunctuation(c1 = s.codePointAt(end))) {
        end += Character.charCount(c1);
      }
      while (end < n && (s.charAt(end) == '\r' || s.charAt(end) == '\n')) {
        end++;
      }
      return end;
    }
    // 5. white space up to its last newline; 6. white space but its last character where something
    // else follows (which takes it: " word"); 7. the rest
    int lastNewline = (class0 & NEWLINE) != 0 ? start : -1;
    int end = next;
    int last = c0; // the last character read
    while (end < n && is(last = s.codePointAt(end), SPACE)) {
      if (last == '\r' || last == '\n') {
        lastNewline = end;
      }
      end += Character.charCount(last);
    }
    if (lastNewline >= 0 && lastNewline + 1 < end) {
      return lastNewline + 1;
    }
    if (lastNewline < 0 && end > next && !is(last, SPACE)) {
      return end - 1; // white space is one char
    }
    return end;
  }

  private static boolean isLongContraction(int c1, int c2) {
    int a = Character.toUpperCase(c1);
    int b = Character.toUpperCase(c2);
    return (a == 'L' && b == 'L') || (a == 'V' && b == 'E') || (a == 'R' && b == 'E');
  }

  // ---- one call's pieces and tokens

  private final class Call {
    int[] out;
    int size;
    byte[] piece = new byte[64];
    int[] starts = new int[65];
    int[] pairRanks = new int[65];
    int[] tokens = new int[65];

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
     * not), UTF-8 cannot. tiktoken refuses such a text; jtokkit writes the surrogate's three bytes,
     * which no decoder reads back.
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

    /** The rank of the bytes from {@code from} to {@code to}, or NONE. */
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
        starts = new int[length + 1];
        pairRanks = new int[length + 1];
        tokens = new int[length + 1];
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
