package dev.refinery.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.infra.text.SyntheticText;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job made to fail mid-stream, after a checkpoint, with documents still in open rows: Flink
 * restarts it from that checkpoint (source offsets and packers together), the transactional sink
 * drops what it wrote since, and every document is still in exactly one set of spans, with batch
 * indexes that run on without a gap or a repeat.
 */
class TokenizerFailoverIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams("web1", "web3");

  // left for the build to clean: see Jobs.cancel
  @TempDir(cleanup = CleanupMode.NEVER)
  Path checkpoints;

  /** Passes documents through, and throws once, mid-stream, after a checkpoint has completed. */
  static final class FailOnce
      implements MapFunction<TokenizedDocument, TokenizedDocument>, CheckpointListener {
    static final AtomicInteger SEEN = new AtomicInteger();
    static final AtomicBoolean CHECKPOINTED = new AtomicBoolean();
    static final AtomicBoolean FAILED = new AtomicBoolean();
    private final int after;

    FailOnce(int after) {
      this.after = after;
    }

    @Override
    public TokenizedDocument map(TokenizedDocument doc) throws Exception {
      if (!FAILED.get()) {
        // slow enough before the failure that checkpoints complete in between
        Thread.sleep(5);
        if (SEEN.incrementAndGet() >= after && CHECKPOINTED.get()) {
          FAILED.set(true);
          throw new IllegalStateException("injected failure after " + SEEN.get() + " documents");
        }
      }
      return doc;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      CHECKPOINTED.set(true);
    }
  }

  /**
   * At one tokenizing thread, the slot's task thread, nothing is in flight at a checkpoint; at
   * three, the documents handed to the pool are in it. Each run writes a stream of its own (the
   * other's documents are rejected as of a stream it does not write).
   */
  @ParameterizedTest(name = "{0} tokenizing thread(s)")
  @ValueSource(ints = {1, 3})
  void aJobThatFailsMidStreamRestoresFromItsCheckpointAndLosesOrRepeatsNothing(int threads)
      throws Exception {
    FailOnce.SEEN.set(0);
    FailOnce.CHECKPOINTED.set(false);
    FailOnce.FAILED.set(false);
    String stream = "web" + threads;
    List<Document> docs = new ArrayList<>();
    SyntheticText prose = new SyntheticText(11);
    for (int i = 0; i < 400; i++) {
      docs.add(
          TokenizerJobIT.doc("f" + threads + "-" + i, stream, prose.paragraphs(1 + i % 5, "\n")));
    }
    TokenizerConfig config =
        new TokenizerConfig(
            Map.ofEntries(
                Map.entry("bootstrap.servers", kafka.bootstrapServers()),
                Map.entry(TokenizerConfig.STREAMS, stream),
                Map.entry(TokenizerConfig.TOKENIZE_THREADS, threads),
                Map.entry(TokenizerConfig.GROUP_ID, "failover-" + threads),
                Map.entry(TokenizerConfig.TRANSACTIONAL_ID_PREFIX, "failover-" + threads),
                Map.entry(TokenizerConfig.PACKING, "best_fit"),
                Map.entry(TokenizerConfig.LABEL_TOKEN, true),
                Map.entry(TokenizerConfig.SEQ_LEN, 256),
                Map.entry(TokenizerConfig.BATCH_SEQUENCES, 4),
                Map.entry(TokenizerConfig.FLUSH_IDLE_MS, 500),
                Map.entry(TokenizerConfig.CHECKPOINT_INTERVAL_MS, 200),
                Map.entry(TokenizerConfig.CHECKPOINT_DIR, checkpoints.resolve(stream).toString()),
                Map.entry(TokenizerConfig.METRICS_PORT, -1)));
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      List<Future<?>> sent = new ArrayList<>();
      for (Document d : docs) {
        sent.add(
            producer.send(
                new ProducerRecord<>(
                    Topics.CORPUS_CLEAN.name(), d.getId(), Topics.CORPUS_CLEAN.serialize(d))));
      }
      for (var f : sent) {
        f.get(); // a document the broker refused is the test's input lost, not the job's
      }
    }
    TokenizerJob tokenizerJob = TokenizerJob.onKafka(config);
    tokenizerJob.afterTokenize = s -> s.map(new FailOnce(150)).name("fail-once").uid("fail-once");
    JobClient job = tokenizerJob.startLocal();
    try {
      Map<String, Document> byId = new HashMap<>();
      docs.forEach(d -> byId.put(d.getId(), d));
      List<TokenBatch> batches = List.of();
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (!complete(batches, byId) && System.nanoTime() < deadline) {
        Thread.sleep(300);
        batches = kafka.values(Topics.tokens(stream));
      }
      assertThat(FailOnce.FAILED).as("the job failed once").isTrue();
      boolean complete = complete(batches, byId);
      assertThat(complete)
          .as(
              "every document fully in spans after the restore%s",
              complete ? "" : diagnosis(job, stream))
          .isTrue();

      // batches spread over the topic's partitions by id: their indexes, sorted, run on without a
      // gap or a repeat
      assertThat(batches.stream().map(TokenBatch::getBatchIndex).sorted().toList())
          .as("batch indexes run on without a gap or a repeat")
          .containsExactlyElementsOf(
              java.util.stream.LongStream.range(0, batches.size()).boxed().toList());
      Tokenizer tokenizer = Tokenizer.forName("cl100k_base");
      Map<String, Integer> covered = new HashMap<>();
      for (TokenBatch b : batches) {
        assertThat(b.getPacking()).isEqualTo("best_fit");
        int[] tokens = TokenBytes.of(b);
        for (DocumentSpan s : b.getSpans()) {
          int[] expected = tokenizer.encode(byId.get(s.getDocId()).getText());
          int at = TokenBytes.position(b, s);
          for (int k = 0; k < s.getLength(); k++) {
            assertThat(tokens[at + k]).isEqualTo(expected[s.getDocOffset() + k]);
          }
          covered.merge(s.getDocId(), s.getLength(), Integer::sum);
        }
      }
      for (Document d : docs) {
        assertThat(covered.get(d.getId()))
            .as("%s: each token once", d.getId())
            .isEqualTo(tokenizer.encode(d.getText()).length);
      }
    } finally {
      Jobs.cancel(job);
    }
  }

  /** What a stuck run looks like from outside: the job, offsets, open transactions. */
  private static String diagnosis(JobClient job, String stream) throws Exception {
    StringBuilder out = new StringBuilder("\n");
    out.append("job status: ").append(job.getJobStatus().get()).append('\n');
    for (String isolation : List.of("read_committed", "read_uncommitted")) {
      try (KafkaConsumer<byte[], byte[]> consumer =
          new KafkaConsumer<>(
              Map.of(
                  ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  kafka.bootstrapServers(),
                  ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                  isolation),
              new ByteArrayDeserializer(),
              new ByteArrayDeserializer())) {
        for (String topic : List.of(Topics.CORPUS_CLEAN.name(), Topics.tokens(stream).name())) {
          List<TopicPartition> partitions =
              consumer.partitionsFor(topic).stream()
                  .map(i -> new TopicPartition(i.topic(), i.partition()))
                  .toList();
          out.append(isolation)
              .append(" end offsets: ")
              .append(consumer.endOffsets(partitions))
              .append('\n');
        }
      }
    }
    try (Admin admin = kafka.kafka().admin()) {
      admin.listTransactions().all().get().stream()
          .filter(
              t ->
                  t.state() != TransactionState.EMPTY
                      && t.state() != TransactionState.COMPLETE_COMMIT
                      && t.state() != TransactionState.COMPLETE_ABORT)
          .forEach(t -> out.append("open transaction: ").append(t).append('\n'));
    }
    return out.toString();
  }

  static boolean complete(List<TokenBatch> batches, Map<String, Document> docs) {
    Map<String, Integer> covered = new HashMap<>();
    Map<String, Integer> total = new HashMap<>();
    for (TokenBatch b : batches) {
      for (DocumentSpan s : b.getSpans()) {
        covered.merge(s.getDocId(), s.getLength(), Integer::sum);
        total.put(s.getDocId(), s.getDocTokens());
      }
    }
    return docs.keySet().stream()
        .allMatch(id -> total.containsKey(id) && covered.get(id) >= total.get(id));
  }
}
