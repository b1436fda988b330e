package dev.refinery.ingest;

/** Told how an ingest goes, for progress displays. Called on the ingesting thread. */
public interface IngestListener {
  /** Ignores everything. */
  IngestListener NONE = (file, fileBytes, records, documents, rejected) -> {};

  /**
   * Progress in the file being read.
   *
   * @param fileBytes bytes of the file read so far (compressed, as on disk)
   * @param records input records read so far
   */
  void progress(String file, long fileBytes, long records, long documents, long rejected);
}
