package dev.refinery.tokenizer;

/** Where one image stands in a tokenized document (a Flink POJO). */
public class TokenizedImage {
  public String sha256;

  /** The image's index in its source document. */
  public int index;

  /** Position of its begin token among the document's tokens. */
  public int start;

  /** Tokens it takes, begin and end included. */
  public int length;

  public String mediaType;
  public int width;
  public int height;

  public TokenizedImage() {}

  public TokenizedImage(
      String sha256, int index, int start, int length, String mediaType, int width, int height) {
    this.sha256 = sha256;
    this.index = index;
    this.start = start;
    this.length = length;
    this.mediaType = mediaType;
    this.width = width;
    this.height = height;
  }
}
