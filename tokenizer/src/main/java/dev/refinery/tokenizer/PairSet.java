package dev.refinery.tokenizer;

/**
 * The pairs of one set (one label, or one sample's judgements under one rubric) at one revision:
 * packed together into one batch once all {@code size} of them are there (a Flink POJO).
 */
public class PairSet {
  public String setId;
  public long revision;
  public int size;
  public TokenizedPair[] pairs;

  public PairSet() {}

  PairSet(String setId, long revision, int size) {
    this.setId = setId;
    this.revision = revision;
    this.size = size;
    this.pairs = new TokenizedPair[0];
  }

  /** Adds a pair, or replaces the one of the same id (a record read twice). */
  void add(TokenizedPair pair) {
    for (int i = 0; i < pairs.length; i++) {
      if (pairs[i].pairId.equals(pair.pairId)) {
        pairs[i] = pair;
        return;
      }
    }
    pairs = java.util.Arrays.copyOf(pairs, pairs.length + 1);
    pairs[pairs.length - 1] = pair;
  }

  boolean complete() {
    return pairs.length >= size;
  }
}
