package dev.refinery.ingest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** The formats ingest reads, told apart by file name (before a .gz or .zst suffix). */
public enum InputFormat {
  /** One JSON object per line: .jsonl, .ndjson, .json (also .gz, .zst). */
  JSONL(".jsonl", ".ndjson", ".json"),
  /** One document per file: .txt, .text, .md (also .gz, .zst). */
  TEXT(".txt", ".text", ".md"),
  /** WARC: the main text of each HTML response; .warc, .warc.gz. */
  WARC(".warc"),
  /** Common Crawl WET: each conversion record's text; .wet, .wet.gz. */
  WET(".wet"),
  /** Parquet (FineWeb, RedPajama-v2, The Stack): one document a row; .parquet. */
  PARQUET(".parquet"),
  /**
   * WebDataset shards: files sharing a key are one sample, its images and caption one document;
   * .tar (also .gz, .zst).
   */
  WEBDATASET(".tar");

  private final String[] extensions;

  InputFormat(String... extensions) {
    this.extensions = extensions;
  }

  /** The format a file name says, or {@code null}. */
  public static InputFormat of(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    String bare = name.substring(0, name.length() - Decompression.Codec.of(name).suffix.length());
    for (InputFormat format : values()) {
      for (String extension : format.extensions) {
        if (bare.endsWith(extension)) {
          return format;
        }
      }
    }
    return null;
  }

  /**
   * Opens a reader of this format.
   *
   * @throws IOException if the file is not what its name says (a .gz that is not gzip)
   */
  DocumentReader open(Path file, String name, IngestConfig config, Rejector rejector)
      throws IOException {
    if (this == WARC) {
      return new WarcDocumentReader(file, name, config, rejector);
    }
    if (this == PARQUET) {
      return new ParquetReader(file, name, config, rejector);
    }
    Decompression.Counted in =
        Decompression.open(file, config.maxDecompressedBytes(), config.maxCompressionRatio());
    return switch (this) {
      case JSONL -> new JsonlReader(in, name, file.toAbsolutePath().getParent(), config, rejector);
      case TEXT -> new TextReader(in, name, config, rejector);
      case WET -> new WetReader(in, name, config, rejector);
      case WEBDATASET -> new WebDatasetReader(in, name, config, rejector);
      case WARC, PARQUET -> throw new IllegalStateException("opened above");
    };
  }
}
