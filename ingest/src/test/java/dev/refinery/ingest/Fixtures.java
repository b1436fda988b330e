package dev.refinery.ingest;

import com.github.luben.zstd.ZstdOutputStream;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.Image;
import dev.refinery.schemas.IngestProgress;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Files and decoders for the ingest tests. */
final class Fixtures {
  static final SourceDeclaration WEB =
      new SourceDeclaration("web-test", SourceKind.PUBLIC_WEB, "CC-BY-4.0", null, null, "web");

  private Fixtures() {}

  static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  static byte[] zstd(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream z = new ZstdOutputStream(out)) {
      z.write(bytes);
    }
    return out.toByteArray();
  }

  static Path write(Path dir, String name, byte[] bytes) throws IOException {
    Path file = dir.resolve(name);
    Files.write(file, bytes);
    return file;
  }

  static List<Document> documents(MockProducer<String, byte[]> producer) {
    return values(producer, Topics.CORPUS_RAW.name()).stream()
        .map(Topics.CORPUS_RAW::deserialize)
        .toList();
  }

  static List<RejectedDocument> rejections(MockProducer<String, byte[]> producer) {
    return values(producer, Topics.CORPUS_REJECTED.name()).stream()
        .map(Topics.CORPUS_REJECTED::deserialize)
        .toList();
  }

  static List<Image> images(MockProducer<String, byte[]> producer) {
    return values(producer, Topics.CORPUS_IMAGES.name()).stream()
        .map(Topics.CORPUS_IMAGES::deserialize)
        .toList();
  }

  static List<IngestProgress> progress(MockProducer<String, byte[]> producer) {
    return values(producer, Topics.INGEST_PROGRESS.name()).stream()
        .map(Topics.INGEST_PROGRESS::deserialize)
        .toList();
  }

  private static List<byte[]> values(MockProducer<String, byte[]> producer, String topic) {
    return producer.history().stream()
        .filter(r -> r.topic().equals(topic))
        .map(ProducerRecord::value)
        .toList();
  }
}
