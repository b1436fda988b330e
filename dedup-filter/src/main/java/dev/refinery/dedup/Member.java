package dev.refinery.dedup;

import dev.refinery.schemas.VarInts;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HexFormat;

/**
 * A document as a dedup key knows it: its event time, its id, and the raw record it came from.
 * Order is by (event time, id): invariant 3 says a document may only be a duplicate of a smaller
 * one.
 *
 * @param eventTime the document's fetch time, else its ingest time, in epoch milliseconds
 * @param docId the document's id
 * @param instance the raw record (partition:offset), to tell a replay of the same document apart
 * @param textHash the first 64 bits of the document's exact fingerprint ({@link
 *     TextFingerprint#of}), so that a copy found through another key (a MinHash band, its URL) is
 *     still named an exact duplicate; 0 when unknown (a rejected document, version 0); for an
 *     image's member, the image's perceptual hash
 * @param part {@link #TEXT} for the document's text keys, else the index of the image whose keys
 *     the member holds
 *     <p>Stored (in the {@code dedup-pending} store, inside {@link Gather} answers and gather
 *     states, and in {@code dedup-smallest} as earlier builds wrote it) as version 3: {@code 0x03},
 *     flags (bit 0: an image's member; bit 1: the id is 32 lower-case hex digits, {@link
 *     dev.refinery.schemas.DocumentIds}'s form; bit 2: the instance is {@code <partition>:<offset>}
 *     in plain decimals), the event time (zig-zag varint), the text hash (int64), the image index
 *     (int16, images only), the id (16 bytes if bit 1, else its length as a varint and UTF-8), the
 *     instance (partition and offset as varints if bit 2, else its length as a varint and UTF-8).
 *     36 bytes for a web document's text, where version 1 took 62. Version 4, what {@code
 *     dedup-smallest} kept for a key from 0.5, is version 3 that may leave out the text hash (flag
 *     bit 3, read as 0) or the instance (bit 4, read as the empty string): 32 bytes for a web
 *     document's text. Version 5 ({@link #toStoredBytes}), what {@code dedup-smallest} keeps since
 *     0.8, is version 4 that may keep the text hash's upper 32 bits alone (flag bit 5, read back
 *     with 0 below them) or the instance alone (bit 6, neither event time, text hash, image index
 *     nor id; read back as 0 and the empty id): 28 bytes for a web document's text, 6 for a replay
 *     key's record at partition 3, offset 123,456. Read too: version 1, {@code 0x01}, event time
 *     (int64), text hash (int64), id length (int16), id (UTF-8), instance length (int16), instance
 *     (UTF-8); version 2 (an image's member), which adds the image index (int16) after the text
 *     hash; and version 0 (before 0.2), with neither the leading byte nor the text hash, whose
 *     first byte is that of the event time, {@code 0x00} (or {@code 0xFF} before 1970).
 */
record Member(long eventTime, String docId, String instance, long textHash, int part)
    implements Comparable<Member> {
  private static final Comparator<Member> ORDER =
      Comparator.comparingLong(Member::eventTime).thenComparing(Member::docId);

  @Override
  public int compareTo(Member other) {
    return ORDER.compare(this, other);
  }

  Member(long eventTime, String docId, String instance) {
    this(eventTime, docId, instance, 0);
  }

  Member(long eventTime, String docId, String instance, long textHash) {
    this(eventTime, docId, instance, textHash, TEXT);
  }

  /** {@link #part} of a member that stands for the document's text. */
  static final int TEXT = -1;

  /** The same document's image {@code index}, holding {@code phash} in place of a text hash. */
  Member image(int index, long phash) {
    return new Member(eventTime, docId, instance, phash, index);
  }

  /** The same document (same id), whichever record carried it. */
  boolean sameDocument(Member other) {
    return docId.equals(other.docId);
  }

  /** Version 1, read only: a document's text. */
  static final byte VERSION_1 = 1;

  /** Version 2, read only: version 1 and an image's index. */
  static final byte IMAGE_VERSION_2 = 2;

  /** The version {@link #toBytes} writes. */
  static final byte VERSION = 3;

  private static final int IMAGE = 1;
  private static final int HEX_ID = 2;
  private static final int PARTITION_OFFSET = 4;

  /**
   * Version 3 with parts left out: what {@code dedup-smallest} kept of a key's holder, read only.
   */
  static final byte STORED_VERSION_4 = 4;

  /**
   * Version 4 that may shorten the text hash or keep the instance alone: {@link #toStoredBytes}.
   */
  static final byte STORED_VERSION = 5;

  private static final int NO_TEXT_HASH = 8;
  private static final int NO_INSTANCE = 16;

  /** Version 5: the text hash's upper 32 bits only ({@link #sameText}), read back with 0 below. */
  private static final int SHORT_TEXT_HASH = 32;

  /** Version 5: the instance alone, read back with event time 0 and the empty id. */
  private static final int INSTANCE_ONLY = 64;

  /** The flags each version may set. */
  private static final int FLAGS_3 = IMAGE | HEX_ID | PARTITION_OFFSET;

  private static final int FLAGS_4 = FLAGS_3 | NO_TEXT_HASH | NO_INSTANCE;
  private static final int FLAGS_5 = FLAGS_4 | SHORT_TEXT_HASH | INSTANCE_ONLY;

  /**
   * Whether two text hashes are of the same text, as far as the shorter of them tells: their upper
   * 32 bits, which is what a version 5 holder keeps. Two different texts' hashes share them once in
   * 2^32 comparisons, and only a duplicate already found (by its URL or a band) is compared: the
   * worst it does is name a near duplicate an exact one.
   */
  static boolean sameText(long textHash, long other) {
    return (textHash >>> 32) == (other >>> 32);
  }

  /** The member as answers, batches and held answers carry it: version 3, nothing left out. */
  byte[] toBytes() {
    return write(VERSION, 0);
  }

  /**
   * What {@code dedup-smallest} keeps of the holder of a key of this kind, as version 5: a replay
   * key ({@link DedupKey.Kind#ID}) only tells records apart and keeps the instance alone (6 bytes
   * for partition 3, offset 123,456, where version 4 kept 28); every other key orders, names and
   * compares documents and keeps the event time, the id and the text hash but not the instance,
   * which is read back as the empty string: a text's hash as its upper 32 bits (28 bytes for a web
   * document, where version 4 kept 32), an image's perceptual hash whole.
   */
  byte[] toStoredBytes(DedupKey.Kind kind) {
    if (kind == DedupKey.Kind.ID) {
      return write(STORED_VERSION, NO_TEXT_HASH | INSTANCE_ONLY);
    }
    return write(STORED_VERSION, NO_INSTANCE | (part == TEXT ? SHORT_TEXT_HASH : 0));
  }

  private byte[] write(byte version, int omit) {
    boolean image = part != TEXT;
    boolean order = (omit & INSTANCE_ONLY) == 0;
    if (image && !order) {
      throw new IllegalArgumentException("an image's member keeps its order and id");
    }
    boolean hexId = order && isHexId(docId);
    boolean withInstance = (omit & NO_INSTANCE) == 0;
    int colon = withInstance ? partitionOffsetColon(instance) : -1;
    byte[] id =
        !order
            ? new byte[0]
            : hexId ? HexFormat.of().parseHex(docId) : docId.getBytes(StandardCharsets.UTF_8);
    byte[] inst = withInstance && colon < 0 ? instance.getBytes(StandardCharsets.UTF_8) : null;
    ByteBuffer out =
        ByteBuffer.allocate(
            1 + 1 + 10 + 8 + 2 + 5 + id.length + 10 + 10 + (inst == null ? 0 : inst.length));
    out.put(version)
        .put(
            (byte)
                ((image ? IMAGE : 0)
                    | (hexId ? HEX_ID : 0)
                    | (colon >= 0 ? PARTITION_OFFSET : 0)
                    | omit));
    if (order) {
      VarInts.put(out, (eventTime << 1) ^ (eventTime >> 63));
      if ((omit & SHORT_TEXT_HASH) != 0) {
        out.putInt((int) (textHash >>> 32));
      } else if ((omit & NO_TEXT_HASH) == 0) {
        out.putLong(textHash);
      }
      if (image) {
        out.putShort((short) part);
      }
      if (!hexId) {
        VarInts.put(out, id.length);
      }
      out.put(id);
    }
    if (colon >= 0) {
      VarInts.put(out, Long.parseLong(instance, 0, colon, 10));
      VarInts.put(out, Long.parseLong(instance, colon + 1, instance.length(), 10));
    } else if (withInstance) {
      VarInts.put(out, inst.length);
      out.put(inst);
    }
    return java.util.Arrays.copyOf(out.array(), out.position());
  }

  /** Reads a member of any version from the buffer's position. */
  static Member read(ByteBuffer in) {
    byte first = in.get(in.position());
    if (first == VERSION || first == STORED_VERSION_4 || first == STORED_VERSION) {
      in.get();
      int flags = in.get() & 0xFF;
      if (first == VERSION && (flags & ~FLAGS_3) != 0) {
        throw new IllegalArgumentException("a version 3 member leaves nothing out: flags " + flags);
      }
      if ((flags & ~(first == STORED_VERSION_4 ? FLAGS_4 : FLAGS_5)) != 0) {
        throw new IllegalArgumentException(
            "a version " + first + " member with unknown flags " + flags);
      }
      boolean order = (flags & INSTANCE_ONLY) == 0;
      if (!order && (flags & (IMAGE | HEX_ID | SHORT_TEXT_HASH | NO_INSTANCE)) != 0
          || (flags & (SHORT_TEXT_HASH | NO_TEXT_HASH)) == (SHORT_TEXT_HASH | NO_TEXT_HASH)) {
        throw new IllegalArgumentException("a version 5 member with flags that clash: " + flags);
      }
      long time = 0;
      long textHash = 0;
      int part = TEXT;
      String id = "";
      if (order) {
        long zigzag = VarInts.get(in);
        time = (zigzag >>> 1) ^ -(zigzag & 1);
        textHash =
            (flags & SHORT_TEXT_HASH) != 0
                ? (long) in.getInt() << 32
                : (flags & NO_TEXT_HASH) != 0 ? 0 : in.getLong();
        part = (flags & IMAGE) != 0 ? in.getShort() & 0xFFFF : TEXT;
        if ((flags & HEX_ID) != 0) {
          byte[] raw = new byte[16];
          in.get(raw);
          id = HexFormat.of().formatHex(raw);
        } else {
          id = utf8(in, (int) VarInts.get(in));
        }
      }
      String inst =
          (flags & NO_INSTANCE) != 0
              ? ""
              : (flags & PARTITION_OFFSET) != 0
                  ? VarInts.get(in) + ":" + VarInts.get(in)
                  : utf8(in, (int) VarInts.get(in));
      return new Member(time, id, inst, textHash, part);
    }
    boolean v1 = first == VERSION_1 || first == IMAGE_VERSION_2;
    if (v1) {
      in.get();
    } else if (first != 0 && first != (byte) 0xFF) {
      throw new IllegalArgumentException("unknown member version " + first);
    }
    long time = in.getLong();
    long textHash = v1 ? in.getLong() : 0;
    int part = first == IMAGE_VERSION_2 ? in.getShort() & 0xFFFF : TEXT;
    String id = utf8(in, in.getShort());
    String inst = utf8(in, in.getShort());
    return new Member(time, id, inst, textHash, part);
  }

  private static String utf8(ByteBuffer in, int length) {
    byte[] bytes = new byte[length];
    in.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Whether the id is 32 lower-case hex digits, so 16 bytes give it back exactly. */
  static boolean isHexId(String id) {
    return id.length() == 32 && DedupKey.isLowerHex(id);
  }

  /**
   * Where the colon is in an instance of the form {@code <partition>:<offset>}, each a plain
   * decimal (no sign, no leading zero) that varints give back exactly; -1 for any other form.
   */
  static int partitionOffsetColon(String instance) {
    int colon = instance.indexOf(':');
    return colon > 0
            && plainDecimal(instance, 0, colon)
            && plainDecimal(instance, colon + 1, instance.length())
        ? colon
        : -1;
  }

  private static boolean plainDecimal(String s, int from, int to) {
    // up to 18 digits: a long, never negative
    if (to - from < 1 || to - from > 18 || (s.charAt(from) == '0' && to - from > 1)) {
      return false;
    }
    for (int i = from; i < to; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  static Member fromBytes(byte[] bytes) {
    return read(ByteBuffer.wrap(bytes));
  }
}
