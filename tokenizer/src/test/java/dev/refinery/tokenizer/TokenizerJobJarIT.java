package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.Topics;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job jar ({@code target/refinery-tokenizer-job.jar}, built by {@code mvn package}) as {@code
 * flink run} uses it: it holds what a Flink distribution lacks and none of Flink itself, and its
 * main class, given {@code --config FILE}, builds a job graph that a Flink cluster runs.
 */
class TokenizerJobJarIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams("web");
  static final Path JAR = Path.of("target", "refinery-tokenizer-job.jar");

  @TempDir Path tmp;

  @Test
  void theJobJarCarriesItsDependenciesButNotFlink() throws Exception {
    assumeTrue(Files.exists(JAR), "the job jar is built by mvn package");
    Set<String> entries = new HashSet<>();
    try (JarFile jar = new JarFile(JAR.toFile())) {
      jar.stream().forEach(e -> entries.add(e.getName()));
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
          .isEqualTo(TokenizerJob.class.getName());
    }
    assertThat(entries)
        .contains(
            "dev/refinery/tokenizer/TokenizerJob.class",
            "dev/refinery/schemas/TokenBatch.class",
            "com/knuddels/jtokkit/cl100k_base.tiktoken",
            "org/apache/flink/connector/kafka/sink/KafkaSink.class",
            "org/apache/kafka/clients/producer/KafkaProducer.class",
            "org/apache/avro/Schema.class");
    assertThat(entries)
        .noneMatch(
            e ->
                e.startsWith("org/apache/flink/runtime/")
                    || e.startsWith("org/apache/flink/streaming/api/environment/")
                    || e.startsWith("org/apache/logging/"));
  }

  @Test
  void itsMainClassBuildsAJobThatAClusterWithOnlyFlinkRuns() throws Exception {
    assumeTrue(Files.exists(JAR), "the job jar is built by mvn package");
    Path config = tmp.resolve("tokenizer.properties");
    Files.writeString(
        config,
        String.join(
            "\n",
            "bootstrap.servers=" + kafka.bootstrapServers(),
            "tokenizer.streams=web",
            "tokenizer.seq.len=64",
            "tokenizer.batch.sequences=2",
            "tokenizer.flush.idle.ms=300",
            "tokenizer.checkpoint.interval.ms=300",
            "tokenizer.group.id=job-jar-it",
            "tokenizer.transactional.id.prefix=job-jar-it"));
    List<Document> docs =
        List.of(
            TokenizerJobIT.doc("j1", "web", "Submitted as a jar, like flink run does."),
            TokenizerJobIT.doc("j2", "web", "A second document for the second row."));
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      for (Document d : docs) {
        producer.send(
            new ProducerRecord<>(
                Topics.CORPUS_CLEAN.name(), d.getId(), Topics.CORPUS_CLEAN.serialize(d)));
      }
    }
    // a JVM with Flink's jars only, as a Flink distribution's lib/ has them: nothing of Kafka,
    // Avro,
    // jtokkit, Jackson or Refinery but through the job jar
    String flinkOnly =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(
                p ->
                    !p.replace('\\', '/')
                        .matches(
                            ".*(/org/apache/kafka/|/org/apache/avro/|/com/knuddels/"
                                + "|/com/fasterxml/jackson/|/io/micrometer/|/dev/refinery/|refinery-|flink-connector-kafka|flink-avro"
                                + "|target/classes).*"))
            .collect(Collectors.joining(File.pathSeparator));
    Path log = Path.of("target", "job-jar-it-flink-run.log");
    Process flink =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                flinkOnly,
                JobJarRunner.class.getName(),
                JAR.toAbsolutePath().toString(),
                config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      List<TokenBatch> batches =
          kafka.await(
              Topics.tokens("web"),
              b ->
                  b.stream()
                              .flatMap(x -> x.getSpans().stream())
                              .map(DocumentSpan::getDocId)
                              .distinct()
                              .count()
                          == 2
                      || !flink.isAlive(),
              Duration.ofSeconds(90));
      assertThat(flink.isAlive()).as("the job runs; its log:%n%s", Files.readString(log)).isTrue();
      assertThat(batches).allSatisfy(b -> assertThat(b.getTokenizer()).isEqualTo("cl100k_base"));
      assertThat(Files.readString(log)).contains("submitted refinery-tokenizer");
    } finally {
      flink.destroyForcibly().waitFor();
    }
  }
}
