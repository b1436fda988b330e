package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The HTTP endpoint's writers without a broker. */
class BatchWriterTest {
  @Test
  void closingDoesNotWaitForAStartThatWaitsForAnUnreachableBroker() {
    // nothing listens there, and a producer would wait 10 minutes for it
    IngestConfig config =
        new IngestConfig(
            Map.of(
                "bootstrap.servers",
                "127.0.0.1:1",
                "kafka.producer.max.block.ms",
                "600000",
                IngestConfig.HTTP_WRITERS,
                "2"));
    BatchWriter writer = BatchWriter.create(config, "refinery-ingest-test");
    writer.start();
    // close once the start is waiting in initTransactions, holding its writer
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!startWaitsInInitTransactions() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(startWaitsInInitTransactions()).isTrue();
    assertTimeoutPreemptively(Duration.ofSeconds(60), writer::close);
  }

  private static boolean startWaitsInInitTransactions() {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> e.getKey().getName().equals("ingest-writers-start"))
        .flatMap(e -> Arrays.stream(e.getValue()))
        .anyMatch(frame -> frame.getMethodName().equals("initTransactions"));
  }
}
