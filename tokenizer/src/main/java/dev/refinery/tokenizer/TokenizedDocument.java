package dev.refinery.tokenizer;

/** A document's token ids and the provenance its spans will carry (a Flink POJO). */
public class TokenizedDocument {
  public String docId;
  public String stream;
  public SpanSource source;
  public int[] tokens;

  public TokenizedDocument() {}

  public TokenizedDocument(String docId, String stream, SpanSource source, int[] tokens) {
    this.docId = docId;
    this.stream = stream;
    this.source = source;
    this.tokens = tokens;
  }
}
