package dev.refinery.tokenizer;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Packs the documents of one token stream into rows of ids and the rows into batches of {@code
 * sequences} rows. A row is {@code seqLen} ids, or {@code seqLen + 1} with a label token (the
 * labels are the inputs shifted by one). Each document is followed by the end-of-text id, which
 * also pads a row that is closed before it is full. A document split across rows (or batches) is
 * one {@link PackedSpan} per piece; end-of-text, padding and a concat row's label token belong to
 * no span.
 *
 * <p>How documents are placed in rows is the subclass's: {@link ConcatPacker} (Megatron and GPT
 * style) or {@link BestFitPacker}. A packer is the whole state of its stream: {@link #write} and
 * {@link #read} carry it through checkpoints, and a packer read back continues exactly.
 */
abstract class Packer {
  static final byte CONCAT = 0;
  static final byte BEST_FIT = 1;

  final int seqLen;
  final boolean labelToken;
  final int width;
  final int sequences;
  final int endOfText;

  /** Rows that are finished and wait for their batch, in order. */
  final List<Row> finished = new ArrayList<>();

  long nextBatchIndex;

  Packer(int seqLen, boolean labelToken, int sequences, int endOfText) {
    this.seqLen = seqLen;
    this.labelToken = labelToken;
    this.width = seqLen + (labelToken ? 1 : 0);
    this.sequences = sequences;
    this.endOfText = endOfText;
  }

  /** A new, empty packer of a packing strategy. */
  static Packer create(
      String packing, int seqLen, boolean labelToken, int sequences, int endOfText, int window) {
    return switch (packing) {
      case "concat" -> new ConcatPacker(seqLen, labelToken, sequences, endOfText);
      case "best_fit" -> new BestFitPacker(seqLen, labelToken, sequences, endOfText, window);
      default ->
          throw new IllegalArgumentException("no packing '" + packing + "'; concat or best_fit");
    };
  }

  /** {@code concat} or {@code best_fit}, as batches record it. */
  abstract String packing();

  /** Places a document and its end-of-text; returns the number of rows it is spread over. */
  abstract int place(TokenizedDocument doc);

  /** Closes every row still open, padding each. */
  abstract void closeOpenRows();

  /** Rows still open (being filled). */
  abstract List<Row> openRows();

  /** Adds a document; returns the batches that filled up, in order. */
  List<PackedBatch> add(TokenizedDocument doc) {
    place(doc);
    return full();
  }

  /** The batches whose rows are all finished, in order. */
  List<PackedBatch> full() {
    return drain(false);
  }

  /** Closes the open rows and writes out every finished row, the last batch short if need be. */
  List<PackedBatch> flush() {
    closeOpenRows();
    return drain(true);
  }

  boolean isEmpty() {
    return finished.isEmpty() && openRows().stream().allMatch(r -> r.fill == 0);
  }

  /** Whether this packer packs the way the settings say; if not, it is flushed and replaced. */
  boolean sameSettings(
      String packing, int seqLen, boolean labelToken, int sequences, int endOfText) {
    return packing().equals(packing)
        && this.seqLen == seqLen
        && this.labelToken == labelToken
        && this.sequences == sequences
        && this.endOfText == endOfText;
  }

  /** Moves a row to the finished rows, padding what it has not filled with end-of-text. */
  void finish(Row row) {
    row.padding = width - row.fill;
    Arrays.fill(row.tokens, row.fill, width, endOfText);
    row.fill = width;
    finished.add(row);
  }

  private List<PackedBatch> drain(boolean partial) {
    List<PackedBatch> batches = new ArrayList<>();
    while (finished.size() >= sequences || (partial && !finished.isEmpty())) {
      List<Row> rows = finished.subList(0, Math.min(sequences, finished.size()));
      int[] tokens = new int[rows.size() * width];
      int[] rowPadding = new int[rows.size()];
      List<PackedSpan> spans = new ArrayList<>();
      List<PackedImage> images = new ArrayList<>();
      int padding = 0;
      for (int r = 0; r < rows.size(); r++) {
        Row row = rows.get(r);
        System.arraycopy(row.tokens, 0, tokens, r * width, width);
        rowPadding[r] = row.padding;
        padding += row.padding;
        for (PackedSpan s : row.spans) {
          spans.add(
              new PackedSpan(
                  s.docId,
                  s.source,
                  r,
                  s.offset,
                  s.length,
                  s.docOffset,
                  s.docTokens,
                  s.url,
                  s.lossRanges));
        }
        for (PackedImage image : row.images) {
          images.add(image.inSequence(r));
        }
      }
      batches.add(
          new PackedBatch(
              nextBatchIndex++,
              tokens,
              rows.size(),
              padding,
              rowPadding,
              List.copyOf(spans),
              List.copyOf(images)));
      rows.clear();
    }
    return batches;
  }

  /** A row of ids: filled up to {@code fill}; its spans' {@code sequence} is set when batched. */
  static final class Row {
    final int[] tokens;
    int fill;
    int padding;
    final List<PackedSpan> spans = new ArrayList<>();
    final List<PackedImage> images = new ArrayList<>();

    Row(int width) {
      this.tokens = new int[width];
    }

    int free() {
      return tokens.length - fill;
    }

    /** Copies {@code count} ids of a document in, as one span. */
    void append(TokenizedDocument doc, int from, int count) {
      System.arraycopy(doc.tokens, from, tokens, fill, count);
      spans.add(
          new PackedSpan(
              doc.docId,
              doc.source,
              -1,
              fill,
              count,
              from,
              doc.tokens.length,
              doc.url,
              doc.lossRanges));
      if (doc.images != null) {
        for (TokenizedImage image : doc.images) {
          if (image.start >= from && image.start < from + count) {
            images.add(
                new PackedImage(
                    doc.docId,
                    image.sha256,
                    image.index,
                    -1,
                    fill + image.start - from,
                    image.length,
                    image.mediaType,
                    image.width,
                    image.height));
          }
        }
      }
      fill += count;
    }
  }

  /**
   * How many of the document's ids from {@code pos} go into a row with room for {@code room}: all
   * that fit, but never part of an image, whose block goes whole into the next row instead (it is
   * never longer than a row). 0 when an image starts at {@code pos} and does not fit.
   */
  static int fit(TokenizedDocument doc, int pos, int room) {
    return fit(doc, pos, room, room);
  }

  /**
   * As {@link #fit(TokenizedDocument, int, int)}, where only the first {@code inputs} of the room
   * are a row's inputs (the rest, its label token): an image ends within them.
   */
  static int fit(TokenizedDocument doc, int pos, int room, int inputs) {
    int k = Math.min(doc.tokens.length - pos, room);
    int end = pos + Math.min(k, inputs);
    if (doc.images != null) {
      for (TokenizedImage image : doc.images) {
        if (image.start >= pos && image.start < pos + k && image.start + image.length > end) {
          return image.start - pos;
        }
      }
    }
    return k;
  }

  // --- state: a versioned binary form, so checkpoints survive changes to these classes ---

  /**
   * 4: rows carry their images. 3: spans carry their document's loss ranges (conversations). 2:
   * spans carry their document's URL. 1 to 3 are read too (their rows have no images, their spans
   * neither URL nor ranges, or no ranges).
   */
  private static final int VERSION = 4;

  void write(DataOutput out) throws IOException {
    out.writeByte(VERSION);
    out.writeByte(packing().equals("concat") ? CONCAT : BEST_FIT);
    out.writeInt(seqLen);
    out.writeBoolean(labelToken);
    out.writeInt(sequences);
    out.writeInt(endOfText);
    out.writeInt(this instanceof BestFitPacker b ? b.window : 0);
    out.writeLong(nextBatchIndex);
    writeRows(out, finished);
    writeRows(out, openRows());
  }

  static Packer read(DataInput in) throws IOException {
    int version = in.readByte();
    if (version < 1 || version > VERSION) {
      throw new IOException(
          "packer state version "
              + version
              + " is not one this build reads (1 to "
              + VERSION
              + ")");
    }
    byte kind = in.readByte();
    int seqLen = in.readInt();
    boolean label = in.readBoolean();
    int sequences = in.readInt();
    int eot = in.readInt();
    int window = in.readInt();
    Packer p =
        create(
            kind == CONCAT ? "concat" : "best_fit",
            seqLen,
            label,
            sequences,
            eot,
            Math.max(1, window));
    p.nextBatchIndex = in.readLong();
    p.finished.addAll(readRows(in, p.width, version));
    p.restoreOpenRows(readRows(in, p.width, version));
    return p;
  }

  /** Puts back the open rows read from state. */
  abstract void restoreOpenRows(List<Row> rows);

  private static void writeRows(DataOutput out, List<Row> rows) throws IOException {
    out.writeInt(rows.size());
    for (Row row : rows) {
      out.writeInt(row.fill);
      out.writeInt(row.padding);
      for (int i = 0; i < row.fill; i++) {
        out.writeInt(row.tokens[i]);
      }
      out.writeInt(row.spans.size());
      for (PackedSpan s : row.spans) {
        out.writeUTF(s.docId);
        writeSource(out, s.source);
        out.writeInt(s.offset);
        out.writeInt(s.length);
        out.writeInt(s.docOffset);
        out.writeInt(s.docTokens);
        out.writeBoolean(s.url != null);
        if (s.url != null) {
          out.writeUTF(s.url);
        }
        out.writeInt(s.lossRanges == null ? -1 : s.lossRanges.length);
        if (s.lossRanges != null) {
          for (int v : s.lossRanges) {
            out.writeInt(v);
          }
        }
      }
      out.writeInt(row.images.size());
      for (PackedImage image : row.images) {
        out.writeUTF(image.docId());
        out.writeUTF(image.sha256());
        out.writeInt(image.index());
        out.writeInt(image.offset());
        out.writeInt(image.length());
        out.writeUTF(image.mediaType());
        out.writeInt(image.width());
        out.writeInt(image.height());
      }
    }
  }

  private static List<Row> readRows(DataInput in, int width, int version) throws IOException {
    int n = in.readInt();
    List<Row> rows = new ArrayList<>(n);
    for (int r = 0; r < n; r++) {
      Row row = new Row(width);
      row.fill = in.readInt();
      row.padding = in.readInt();
      for (int i = 0; i < row.fill; i++) {
        row.tokens[i] = in.readInt();
      }
      int spans = in.readInt();
      for (int i = 0; i < spans; i++) {
        String docId = in.readUTF();
        SpanSource source = readSource(in);
        int offset = in.readInt();
        int length = in.readInt();
        int docOffset = in.readInt();
        int docTokens = in.readInt();
        String url = version >= 2 && in.readBoolean() ? in.readUTF() : null;
        int[] lossRanges = null;
        if (version >= 3) {
          int ranges = in.readInt();
          if (ranges >= 0) {
            lossRanges = new int[ranges];
            for (int k = 0; k < ranges; k++) {
              lossRanges[k] = in.readInt();
            }
          }
        }
        row.spans.add(
            new PackedSpan(
                docId, source, -1, offset, length, docOffset, docTokens, url, lossRanges));
      }
      int images = version >= 4 ? in.readInt() : 0;
      for (int i = 0; i < images; i++) {
        row.images.add(
            new PackedImage(
                in.readUTF(),
                in.readUTF(),
                in.readInt(),
                -1,
                in.readInt(),
                in.readInt(),
                in.readUTF(),
                in.readInt(),
                in.readInt()));
      }
      rows.add(row);
    }
    return rows;
  }

  private static void writeSource(DataOutput out, SpanSource s) throws IOException {
    for (String field : new String[] {s.name, s.kind, s.spdxId, s.licensor, s.terms, s.stream}) {
      out.writeBoolean(field != null);
      if (field != null) {
        out.writeUTF(field);
      }
    }
  }

  private static SpanSource readSource(DataInput in) throws IOException {
    String[] f = new String[6];
    for (int i = 0; i < 6; i++) {
      f[i] = in.readBoolean() ? in.readUTF() : null;
    }
    SpanSource s = new SpanSource();
    s.name = f[0];
    s.kind = f[1];
    s.spdxId = f[2];
    s.licensor = f[3];
    s.terms = f[4];
    s.stream = f[5];
    return s;
  }
}
