package dev.refinery.tokenizer;

/**
 * One preference pair, tokenized: the prompt with the chosen response and with the rejected one,
 * each rendered as a user and an assistant turn by the chat template (a Flink POJO).
 */
public class TokenizedPair {
  public String pairId;
  public String setId;
  public long setRevision;
  public String groupId;
  public String origin;
  public Double margin;

  /** The completion ids: the lineage of each sequence's response. */
  public String chosenId;

  public String rejectedId;

  public int[] chosen;
  public int[] rejected;

  /** [start, end) of each sequence's response (its content and end marker), as learned. */
  public int[] chosenLoss;

  public int[] rejectedLoss;

  public TokenizedPair() {}
}
