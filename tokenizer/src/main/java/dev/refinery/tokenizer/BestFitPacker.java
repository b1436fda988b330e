package dev.refinery.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Best-fit packing within a window: up to {@code window} rows are open at once; a document (with
 * its end-of-text) goes whole into the open row with the least room that still holds it, else into
 * a new row, closing the fullest open row (padded) when the window is full. A document longer than
 * a row is split cleanly: full rows of its first ids, each starting at a row's start, and the rest
 * placed like any document. Fewer documents are cut than with concat, at the price of padding; the
 * order of rows stays deterministic, so a restore continues exactly.
 */
final class BestFitPacker extends Packer {
  final int window;
  private final List<Row> open = new ArrayList<>();

  BestFitPacker(int seqLen, boolean labelToken, int sequences, int endOfText, int window) {
    super(seqLen, labelToken, sequences, endOfText);
    this.window = window;
  }

  @Override
  String packing() {
    return "best_fit";
  }

  @Override
  int place(TokenizedDocument doc) {
    int n = doc.tokens.length;
    int pos = 0;
    int pieces = 0;
    while (n - pos + 1 > width) {
      Row full = new Row(width);
      // an image is not cut: the row ends before it (padded) and it starts the next
      int k = fit(doc, pos, width, seqLen);
      full.append(doc, pos, k);
      pos += k;
      pieces++;
      finish(full);
    }
    int need = n - pos + 1;
    Row target = null;
    for (Row r : open) {
      if (r.free() >= need && (target == null || r.free() < target.free())) {
        target = r;
      }
    }
    if (target == null) {
      if (open.size() == window) {
        Row fullest = open.get(0);
        for (Row r : open) {
          if (r.free() < fullest.free()) {
            fullest = r;
          }
        }
        open.remove(fullest);
        finish(fullest);
      }
      target = new Row(width);
      open.add(target);
    }
    if (pos < n) {
      target.append(doc, pos, n - pos);
      pieces++;
    }
    target.tokens[target.fill++] = endOfText;
    if (target.free() == 0) {
      open.remove(target);
      finish(target);
    }
    return pieces;
  }

  @Override
  void closeOpenRows() {
    for (Row r : open) {
      finish(r);
    }
    open.clear();
  }

  @Override
  List<Row> openRows() {
    return open;
  }

  @Override
  void restoreOpenRows(List<Row> rows) {
    open.clear();
    open.addAll(rows);
  }
}
