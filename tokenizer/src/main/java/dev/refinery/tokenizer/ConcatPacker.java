package dev.refinery.tokenizer;

import java.util.List;

/**
 * Megatron and GPT packing: each document's ids then end-of-text, concatenated and cut every {@code
 * seqLen} ids; nothing is padded but at a flush. With a label token, a row's extra id is the first
 * id of the next row (rows overlap by one, so every id is some row's label), and a row is finished
 * only when that next id is known. An image's block is never cut: one that does not fit a row's
 * rest closes the row (padded) and starts the next.
 */
final class ConcatPacker extends Packer {
  private Row row;

  ConcatPacker(int seqLen, boolean labelToken, int sequences, int endOfText) {
    super(seqLen, labelToken, sequences, endOfText);
    this.row = new Row(width);
  }

  @Override
  String packing() {
    return "concat";
  }

  @Override
  int place(TokenizedDocument doc) {
    int pieces = 0;
    int pos = 0;
    int n = doc.tokens.length;
    while (pos < n) {
      makeRoomFor(doc.tokens[pos]);
      int k = fit(doc, pos, seqLen - row.fill);
      if (k == 0) {
        // an image that does not fit this row starts the next: this one ends here, padded
        finish(row);
        row = new Row(width);
        continue;
      }
      row.append(doc, pos, k);
      pos += k;
      pieces++;
      finishIfFull();
    }
    makeRoomFor(endOfText);
    row.tokens[row.fill++] = endOfText;
    finishIfFull();
    return pieces;
  }

  /**
   * With a label token, a row holding seqLen ids takes the next id as its label, then gives way.
   */
  private void makeRoomFor(int next) {
    if (row.fill == seqLen) {
      row.tokens[seqLen] = next;
      row.fill = width;
      finish(row);
      row = new Row(width);
    }
  }

  private void finishIfFull() {
    if (!labelToken && row.fill == seqLen) {
      finish(row);
      row = new Row(width);
    }
  }

  @Override
  void closeOpenRows() {
    if (row.fill > 0) {
      finish(row);
      row = new Row(width);
    }
  }

  @Override
  List<Row> openRows() {
    return List.of(row);
  }

  @Override
  void restoreOpenRows(List<Row> rows) {
    if (!rows.isEmpty()) {
      row = rows.get(0);
    }
  }
}
