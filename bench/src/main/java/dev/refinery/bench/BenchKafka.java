package dev.refinery.bench;

import dev.refinery.infra.TopicProvisioner;
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
