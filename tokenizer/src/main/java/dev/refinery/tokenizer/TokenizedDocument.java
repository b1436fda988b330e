package dev.refinery.tokenizer;

/** A document's token ids and the provenance its spans will carry (a Flink POJO). */
public class TokenizedDocument {
  public String docId;
  public String stream;
  public SpanSource source;
  public int[] tokens;

  /** The document's URL, normalized as takedowns match it, or null. */
  public String url;

  /** For a conversation, [start, end) pairs of the tokens to learn from; null: all of them. */
  public int[] lossRanges;

  /** The document's images where its tokens hold them, in order; null for text. */
  public TokenizedImage[] images;

  /**
   * A record the tokenizer refused instead of a document: its {@code RejectedDocument}, encoded as
   * on corpus.rejected.v1 (the other fields are then unset).
   */
  public byte[] rejection;

  public TokenizedDocument() {}

  public TokenizedDocument(String docId, String stream, SpanSource source, int[] tokens) {
    this(docId, stream, source, tokens, null);
  }

  public TokenizedDocument(
      String docId, String stream, SpanSource source, int[] tokens, String url) {
    this.docId = docId;
    this.stream = stream;
    this.source = source;
    this.tokens = tokens;
    this.url = url;
  }
}
