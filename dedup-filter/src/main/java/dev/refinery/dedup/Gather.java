package dev.refinery.dedup;

import java.nio.ByteBuffer;

/**
 * What reaches the gathering step of a document (keyed by {@code <doc id>@<instance>}): the
 * document itself (or its rejection) with the number of answers to wait for, or the answer of one
 * of its keys: the smallest document that holds a dedup key if that one is smaller, or, for its
 * replay key, whether the document was seen before. A small binary format, internal to the stage
 * (on the gather repartition topic and in the {@code dedup-documents} store): a leading byte that
 * holds the version in its high four bits and the type in its low four, then fields. Version 0
 * (before 0.2) had the type alone ({@code 0x01}, {@code 0x02}) and the same fields; both are read.
 */
sealed interface Gather permits Gather.Doc, Gather.Answer {
  byte DOC = 1;
  byte ANSWER = 2;

  /** The version {@link #encode} writes. */
  int VERSION = 1;

  /**
   * The document and how many answers it waits for.
   *
   * @param document the Document, single-object encoded; empty when the document is rejected
   * @param rejection the RejectedDocument, single-object encoded, when screening rejected it (only
   *     a replay check is then awaited); else empty
   */
  record Doc(int expected, byte[] document, byte[] rejection) implements Gather {
    boolean rejected() {
      return rejection.length > 0;
    }
  }

  /**
   * One key's answer.
   *
   * @param smaller the smallest document holding the key, if smaller than this one; else null
   * @param replay (the {@code ID} key) the same document came before in another record
   */
  record Answer(DedupKey.Kind kind, int band, Member smaller, boolean replay) implements Gather {}

  static byte[] encode(Gather message) {
    if (message instanceof Doc d) {
      return ByteBuffer.allocate(1 + 4 + 4 + d.document().length + d.rejection().length)
          .put((byte) (VERSION << 4 | DOC))
          .putInt(d.expected())
          .putInt(d.document().length)
          .put(d.document())
          .put(d.rejection())
          .array();
    }
    Answer a = (Answer) message;
    byte[] member = a.smaller() == null ? new byte[0] : a.smaller().toBytes();
    return ByteBuffer.allocate(1 + 1 + 1 + 1 + member.length)
        .put((byte) (VERSION << 4 | ANSWER))
        .put((byte) a.kind().code)
        .put((byte) a.band())
        .put((byte) ((a.replay() ? 2 : 0) | (a.smaller() != null ? 1 : 0)))
        .put(member)
        .array();
  }

  static Gather decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte head = in.get();
    int version = (head >> 4) & 0x0F;
    int type = head & 0x0F;
    if (version > VERSION) {
      throw new IllegalArgumentException(
          "gather message version " + version + " is newer than this build");
    }
    if (type == DOC) {
      int expected = in.getInt();
      byte[] document = new byte[in.getInt()];
      in.get(document);
      byte[] rejection = new byte[in.remaining()];
      in.get(rejection);
      return new Doc(expected, document, rejection);
    }
    if (type == ANSWER) {
      DedupKey.Kind kind = DedupKey.Kind.of((char) in.get());
      int band = in.get();
      byte flags = in.get();
      Member smaller = (flags & 1) != 0 ? Member.read(in) : null;
      return new Answer(kind, band, smaller, (flags & 2) != 0);
    }
    throw new IllegalArgumentException("unknown gather message type " + type);
  }
}
