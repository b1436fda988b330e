package dev.refinery.bench;

import dev.refinery.infra.TopicProvisioner;
import dev.refinery.schemas.Licence;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** What the benchmarks share: the catalog's topics on their broker, and their scratch folders. */
final class BenchKafka {
  private BenchKafka() {}

  /** Creates the catalog's topics and the token topics of {@code streams}. */
  static void provision(String bootstrap, String... streams) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<TopicBinding<?, ?>> topics = new ArrayList<>(Topics.fixed());
      for (String stream : streams) {
        topics.add(Topics.tokens(stream));
      }
      new TopicProvisioner(admin).provision(topics);
    }
  }

  /** A public CC0 source of the given stream, as the benchmarks' documents and spans name it. */
  static Source source(String name, String stream) {
    return Source.newBuilder()
        .setName(name)
        .setKind(SourceKind.PUBLIC_WEB)
        .setLicence(Licence.newBuilder().setSpdxId("CC0-1.0").build())
        .setStream(stream)
        .build();
  }

  /** A producer for filling a backlog: batched and compressed like a busy ingest. */
  static KafkaProducer<String, byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ProducerConfig.LINGER_MS_CONFIG,
            20,
            ProducerConfig.COMPRESSION_TYPE_CONFIG,
            "lz4"),
        new StringSerializer(),
        new ByteArraySerializer());
  }

  /** Deletes a run's folder (broker data, checkpoints) after the benchmark. */
  static void deleteRecursively(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (var paths = Files.walk(dir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
