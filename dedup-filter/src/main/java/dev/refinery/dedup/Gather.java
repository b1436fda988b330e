package dev.refinery.dedup;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * What reaches the gathering step of a document (keyed by {@code <doc id>@<instance>}): the
 * document itself (or its rejection) with the number of answers to wait for, or the answer of one
 * of its keys: the smallest document that holds a dedup key if that one is smaller, or, for its
 * replay key, whether the document was seen before. A small binary format, internal to the stage
 * (on the gather repartition topic and in the {@code dedup-documents} store): a leading byte that
 * holds the version in its high four bits and the type in its low four, then fields. Version 2 is
 * written only where images need it: a document adds the length of its rejection and the refusals
 * of its images (a count, then each as its length and bytes); an answer adds the image's index
 * (int16) after its flags. Version 0 (before 0.2) had the type alone ({@code 0x01}, {@code 0x02})
 * and the same fields as version 1; all are read. Version 3 is the type {@link Answers}: the
 * answers of one {@link KeyBatch}, a count (int32), then each as kind, band, flags, image index
 * (int16) and, when there is a smaller document, its member. Version 4 is the type {@link Moved}:
 * the length of a gathering state (int32), the state, then the document's message as the {@code
 * dedup-documents} store keeps it (empty where it had not come).
 */
sealed interface Gather permits Gather.Doc, Gather.Answer, Gather.Answers, Gather.Moved {
  byte DOC = 1;
  byte ANSWER = 2;
  byte ANSWERS = 3;
  byte MOVED = 4;

  /** The version of {@link Answers}, the only type it has. */
  int ANSWERS_VERSION = 3;

  /** The version of {@link Moved}, the only type it has. */
  int MOVED_VERSION = 4;

  /** The version {@link #encode} writes for text. */
  int VERSION = 1;

  /**
   * The version {@link #encode} writes where images need it: a document with refusals of its
   * images, an answer for one image. Text-only messages keep version 1, which older builds read.
   */
  int IMAGE_VERSION = 2;

  /**
   * The document and how many answers it waits for.
   *
   * @param document the Document, single-object encoded; empty when the document is rejected
   * @param rejection the RejectedDocument, single-object encoded, when screening rejected it (only
   *     a replay check is then awaited); else empty
   * @param refusedImages RejectedDocuments, single-object encoded, of the images screening refused
   *     while the document goes on (emitted once the document is decided, unless it is a replay)
   */
  record Doc(int expected, byte[] document, byte[] rejection, List<byte[]> refusedImages)
      implements Gather {
    Doc(int expected, byte[] document, byte[] rejection) {
      this(expected, document, rejection, List.of());
    }

    boolean rejected() {
      return rejection.length > 0;
    }
  }

  /**
   * One key's answer.
   *
   * @param smaller the smallest document holding the key, if smaller than this one; else null
   * @param replay (the {@code ID} key) the same document came before in another record
   * @param part the image the answer is for ({@link Member#TEXT} for the document's text)
   */
  record Answer(DedupKey.Kind kind, int band, Member smaller, boolean replay, int part)
      implements Gather {
    Answer(DedupKey.Kind kind, int band, Member smaller, boolean replay) {
      this(kind, band, smaller, replay, Member.TEXT);
    }
  }

  /** The answers of the keys of one {@link KeyBatch}: one record for all of them. */
  record Answers(List<Answer> answers) implements Gather {}

  /**
   * What a task had gathered of a document that another task gathers (an earlier build spread
   * documents over the gather topic by their key's hash), sent on to that one.
   *
   * @param state the {@link GatherProcessor.State}, as the {@code dedup-gathering} store keeps it
   * @param document the document's {@link Doc} message, encoded; empty where it had not come
   */
  record Moved(byte[] state, byte[] document) implements Gather {}

  static byte[] encode(Gather message) {
    if (message instanceof Moved moved) {
      return ByteBuffer.allocate(1 + 4 + moved.state().length + moved.document().length)
          .put((byte) (MOVED_VERSION << 4 | MOVED))
          .putInt(moved.state().length)
          .put(moved.state())
          .put(moved.document())
          .array();
    }
    if (message instanceof Answers all) {
      List<byte[]> members = new ArrayList<>(all.answers().size());
      int size = 1 + 4;
      for (Answer a : all.answers()) {
        byte[] m = a.smaller() == null ? new byte[0] : a.smaller().toBytes();
        members.add(m);
        size += 1 + 1 + 1 + 2 + m.length;
      }
      ByteBuffer out =
          ByteBuffer.allocate(size)
              .put((byte) (ANSWERS_VERSION << 4 | ANSWERS))
              .putInt(all.answers().size());
      for (int i = 0; i < members.size(); i++) {
        Answer a = all.answers().get(i);
        out.put((byte) a.kind().code)
            .put((byte) a.band())
            .put(flags(a))
            .putShort((short) a.part())
            .put(members.get(i));
      }
      return out.array();
    }
    if (message instanceof Doc d && !d.refusedImages().isEmpty()) {
      int size = 1 + 4 + 4 + d.document().length + 4 + d.rejection().length + 4;
      for (byte[] r : d.refusedImages()) {
        size += 4 + r.length;
      }
      ByteBuffer out =
          ByteBuffer.allocate(size)
              .put((byte) (IMAGE_VERSION << 4 | DOC))
              .putInt(d.expected())
              .putInt(d.document().length)
              .put(d.document())
              .putInt(d.rejection().length)
              .put(d.rejection())
              .putInt(d.refusedImages().size());
      for (byte[] r : d.refusedImages()) {
        out.putInt(r.length).put(r);
      }
      return out.array();
    }
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
    boolean image = a.part() != Member.TEXT;
    ByteBuffer out =
        ByteBuffer.allocate(1 + 1 + 1 + 1 + (image ? 2 : 0) + member.length)
            .put((byte) ((image ? IMAGE_VERSION : VERSION) << 4 | ANSWER))
            .put((byte) a.kind().code)
            .put((byte) a.band())
            .put(flags(a));
    if (image) {
      out.putShort((short) a.part());
    }
    return out.put(member).array();
  }

  private static byte flags(Answer a) {
    return (byte) ((a.replay() ? 2 : 0) | (a.smaller() != null ? 1 : 0));
  }

  static Gather decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte head = in.get();
    int version = (head >> 4) & 0x0F;
    int type = head & 0x0F;
    if (version == ANSWERS_VERSION && type == ANSWERS) {
      int n = in.getInt();
      List<Answer> answers = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        DedupKey.Kind kind = DedupKey.Kind.of((char) in.get());
        int band = in.get();
        byte flags = in.get();
        int part = in.getShort();
        Member smaller = (flags & 1) != 0 ? Member.read(in) : null;
        answers.add(new Answer(kind, band, smaller, (flags & 2) != 0, part));
      }
      return new Answers(answers);
    }
    if (version == MOVED_VERSION && type == MOVED) {
      byte[] state = new byte[in.getInt()];
      in.get(state);
      byte[] document = new byte[in.remaining()];
      in.get(document);
      return new Moved(state, document);
    }
    if (version > IMAGE_VERSION) {
      throw new IllegalArgumentException(
          "gather message version " + version + " is newer than this build");
    }
    if (type == DOC && version == IMAGE_VERSION) {
      int expected = in.getInt();
      byte[] document = new byte[in.getInt()];
      in.get(document);
      byte[] rejection = new byte[in.getInt()];
      in.get(rejection);
      int n = in.getInt();
      List<byte[]> refused = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        byte[] r = new byte[in.getInt()];
        in.get(r);
        refused.add(r);
      }
      return new Doc(expected, document, rejection, refused);
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
      int part = version == IMAGE_VERSION ? in.getShort() & 0xFFFF : Member.TEXT;
      Member smaller = (flags & 1) != 0 ? Member.read(in) : null;
      return new Answer(kind, band, smaller, (flags & 2) != 0, part);
    }
    throw new IllegalArgumentException("unknown gather message type " + type);
  }
}
