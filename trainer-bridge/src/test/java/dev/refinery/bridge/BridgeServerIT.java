package dev.refinery.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.schemas.DataCheckpoint;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Keys;
import dev.refinery.schemas.Licence;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.TokenDType;
import dev.refinery.schemas.Topics;
import dev.refinery.schemas.TrainerMetric;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge on a real broker: ranks read disjoint batches whose union is everything, resume
 * exactly, resume on another world size, pick up data that arrives while they read, and garbage is
 * answered with reasons. Batches are produced as the tokenizer writes them: keys {@code
 * <stream>-<index>}, hashed over 4 partitions, indexes growing.
 */
class BridgeServerIT {
  @RegisterExtension
  static final KafkaFixture kafka =
      KafkaFixture.withStreams("a", "b", "live", "junk", "masked", "prefs");

  static final Map<String, Double> AB = Map.of("a", 2.0, "b", 1.0);
  static final int PER_STREAM = 400;

  @TempDir static Path dir;
  static BridgeServer server;
  static KafkaProducer<String, byte[]> producer;

  @BeforeAll
  static void start() throws IOException {
    producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "bridge-it-batches"),
            new StringSerializer(),
            new ByteArraySerializer());
    producer.initTransactions();
    produce("a", 0, PER_STREAM);
    produce("b", 0, PER_STREAM);
    producer.beginTransaction();
    for (long i = 0; i < 4; i++) {
      TokenBatch b = preferenceBatch(i);
      producer.send(
          new ProducerRecord<>(
              Topics.tokens("prefs").name(), b.getBatchId(), Topics.tokens("prefs").serialize(b)));
    }
    producer.commitTransaction();
    server =
        BridgeServer.start(
            new BridgeConfig(
                Map.of(
                    "bootstrap.servers",
                    kafka.bootstrapServers(),
                    BridgeConfig.PORT,
                    0,
                    BridgeConfig.SOCKET,
                    dir.resolve("bridge.sock").toString(),
                    BridgeConfig.HTTP_PORT,
                    0,
                    BridgeConfig.PREFETCH,
                    8,
                    BridgeConfig.TOKEN_PREFIX + "trainer",
                    "pairs:" + TOKEN)));
  }

  /** The bridge HTTP's token, of scope pairs. */
  static final String TOKEN = "a-bridge-token-for-the-test";

  @AfterAll
  static void stop() {
    server.close();
    producer.close();
  }

  /** Batch {@code index} of {@code stream}: two rows of four ids that say which batch it is. */
  static TokenBatch batch(String stream, long index) {
    int tag = stream.hashCode() & 0xffff;
    int[] ids = {tag, (int) index, 1, 2, 3, (int) index, tag, 100257};
    Source source =
        Source.newBuilder()
            .setName("src-" + stream)
            .setKind(SourceKind.PUBLIC_WEB)
            .setLicence(Licence.newBuilder().setSpdxId("CC0-1.0").build())
            .setStream(stream)
            .build();
    return TokenBatch.newBuilder()
        .setBatchId(Keys.batch(stream, index))
        .setStream(stream)
        .setBatchIndex(index)
        .setTokenizer("cl100k_base")
        .setDtype(TokenDType.UINT32)
        .setSeqLen(4)
        .setNumSequences(2)
        .setTokens(TokenBytes.encode(ids, 0, ids.length, TokenDType.UINT32))
        .setPadToken(100257)
        .setPadding(0)
        .setSpans(
            List.of(
                DocumentSpan.newBuilder()
                    .setDocId("doc-" + stream + "-" + index)
                    .setSource(source)
                    .setSequence(0)
                    .setOffset(0)
                    .setLength(7)
                    .setDocOffset(0)
                    .setDocTokens(7)
                    .build()))
        .setCreatedAt(Instant.now())
        .build();
  }

  /**
   * Preference batch {@code index}: one pair, its chosen sequence in row 0 and its rejected one in
   * row 1, as the tokenizer packs them; a margin on even batches only.
   */
  static TokenBatch preferenceBatch(long index) {
    TokenBatch b = batch("prefs", index);
    DocumentSpan chosen = b.getSpans().get(0);
    return TokenBatch.newBuilder(b)
        .setPacking("pairs")
        .setSpans(
            List.of(
                DocumentSpan.newBuilder(chosen).setLength(4).setDocTokens(4).build(),
                DocumentSpan.newBuilder(chosen)
                    .setDocId("rejected-" + index)
                    .setSequence(1)
                    .setLength(3)
                    .setDocTokens(3)
                    .build()))
        .setSequencePadding(List.of(0, 1))
        .setPadding(1)
        .setPairs(
            List.of(
                dev.refinery.schemas.PreferenceRows.newBuilder()
                    .setPairId("label:" + index + "/c>r")
                    .setSetId("label:" + index)
                    .setSetRevision(1)
                    .setGroupId("prompt-" + index)
                    .setChosen(0)
                    .setRejected(1)
                    .setMargin(index % 2 == 0 ? 1.5 : null)
                    .setOrigin("HUMAN")
                    .build()))
        .build();
  }

  /** Writes batches in a transaction, as the tokenizer does: indexes grow within each partition. */
  static synchronized void produce(String stream, long from, long to) {
    producer.beginTransaction();
    for (long i = from; i < to; i++) {
      TokenBatch b = batch(stream, i);
      producer.send(
          new ProducerRecord<>(
              Topics.tokens(stream).name(), b.getBatchId(), Topics.tokens(stream).serialize(b)));
    }
    producer.commitTransaction();
  }

  static SocketAddress tcp() {
    return new InetSocketAddress("127.0.0.1", server.port());
  }

  /** Each rank's batch ids for {@code steps} steps, read by all ranks at once. */
  static List<List<String>> readAll(BridgeClient.Hello hello, int world, int steps, byte[] cursor)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(world);
    try {
      List<Future<List<String>>> futures = new ArrayList<>();
      for (int r = 0; r < world; r++) {
        BridgeClient.Hello h = hello.as(r, world).resumingFrom(cursor);
        futures.add(pool.submit(() -> read(h, steps, -1)));
      }
      List<List<String>> out = new ArrayList<>();
      for (Future<List<String>> f : futures) {
        out.add(f.get(60, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  static List<String> read(BridgeClient.Hello hello, int steps, long checkpointAt)
      throws IOException {
    List<String> ids = new ArrayList<>();
    try (BridgeClient client = BridgeClient.connect(tcp(), hello)) {
      for (int i = 0; i < steps; i++) {
        BridgeClient.Batch b = client.next();
        assertThat(b.batchId()).isEqualTo(Keys.batch(b.stream(), b.index()));
        int[] tokens = b.ids();
        assertThat(tokens[1]).isEqualTo((int) b.index());
        ids.add(b.batchId());
      }
    }
    return ids;
  }

  static Set<String> union(List<List<String>> perRank) {
    Set<String> all = new HashSet<>();
    for (List<String> ids : perRank) {
      for (String id : ids) {
        assertThat(all.add(id)).as("%s delivered twice", id).isTrue();
      }
    }
    return all;
  }

  /** The union is a prefix of each stream: nothing skipped. */
  static void assertPrefixes(Set<String> all) {
    Map<String, Integer> per = new HashMap<>();
    all.forEach(id -> per.merge(id.substring(0, id.indexOf('-')), 1, Integer::sum));
    per.forEach(
        (stream, n) -> {
          for (int i = 0; i < n; i++) {
            assertThat(all).contains(Keys.batch(stream, i));
          }
        });
  }

  @Test
  void overlappingCallsOfRmPairsAnswerTheSamePairs() throws Exception {
    RewardPairsFixture.produce(kafka.bootstrapServers());
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpRequest request =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(
                    "http://127.0.0.1:" + server.httpPort() + "/v1/rm-pairs?lineage=true"))
            .header("Authorization", "Bearer " + TOKEN)
            .build();
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try {
      List<Future<java.net.http.HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        calls.add(
            callers.submit(
                () -> http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString())));
      }
      Set<String> bodies = new HashSet<>();
      for (Future<java.net.http.HttpResponse<String>> call : calls) {
        java.net.http.HttpResponse<String> response = call.get(60, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        bodies.add(response.body());
      }
      // one answer, whether the calls shared a read of the topic or each made its own
      assertThat(bodies).hasSize(1);
      assertThat(bodies.iterator().next()).contains("\"pair_id\"");
      // and none without the token
      java.net.http.HttpResponse<String> anonymous =
          http.send(
              java.net.http.HttpRequest.newBuilder(request.uri()).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.body()).doesNotContain("pair_id");
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void twoAndFourRanksReadDisjointBatchesWhoseUnionIsEverything() throws Exception {
    for (int world : new int[] {2, 4}) {
      BridgeClient.Hello hello = new BridgeClient.Hello("disjoint-" + world, 0, world, AB, 7);
      int steps = 240 / world;
      Set<String> all = union(readAll(hello, world, steps, null));
      assertThat(all).hasSize(240);
      assertPrefixes(all);
    }
    // and with as many steps as there are batches, the union is every batch of both streams
    Set<String> all =
        union(
            readAll(
                new BridgeClient.Hello("all", 0, 2, Map.of("a", 1.0), 1), 2, PER_STREAM / 2, null));
    assertThat(all).hasSize(PER_STREAM);
  }

  @Test
  void aRunResumedFromItsCursorGetsExactlyWhatAnUninterruptedRunGets() throws Exception {
    BridgeClient.Hello hello = new BridgeClient.Hello("exact", 0, 2, AB, 11);
    List<List<String>> uninterrupted = readAll(hello, 2, 150, null);

    // the same run, stopped at step 60: each rank checkpoints after its 60th step
    List<byte[]> cursors = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      try (BridgeClient c = BridgeClient.connect(tcp(), hello.as(r, 2))) {
        for (int i = 0; i < 75; i++) { // prefetched and read past the checkpoint: must not matter
          BridgeClient.Batch b = c.next();
          if (i < 60) {
            assertThat(b.batchId()).isEqualTo(uninterrupted.get(r).get(i));
          }
        }
        cursors.add(c.checkpoint(60));
      }
    }
    assertThat(new String(cursors.get(0), StandardCharsets.UTF_8))
        .isEqualTo(new String(cursors.get(1), StandardCharsets.UTF_8));
    for (int r = 0; r < 2; r++) {
      // rank 1 resumes from rank 0's cursor: any rank's copy serves
      BridgeClient.Hello resumed = hello.as(r, 2).resumingFrom(cursors.get(1 - r));
      try (BridgeClient c = BridgeClient.connect(tcp(), resumed)) {
        assertThat(c.welcome().path("step").asLong()).isEqualTo(60);
        assertThat(c.welcome().path("resumed").asBoolean()).isTrue();
        List<String> after = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
          BridgeClient.Batch b = c.next();
          assertThat(b.step()).isEqualTo(60 + i);
          after.add(b.batchId());
        }
        assertThat(after).isEqualTo(uninterrupted.get(r).subList(60, 150));
      }
    }
    // rank 0 recorded the checkpoint, with its positions
    List<DataCheckpoint> recorded =
        kafka.await(
            Topics.TRAINER_CHECKPOINTS,
            l -> l.stream().anyMatch(d -> d.getRunId().equals("exact")),
            Duration.ofSeconds(30));
    DataCheckpoint d =
        recorded.stream().filter(x -> x.getRunId().equals("exact")).findFirst().orElseThrow();
    assertThat(d.getStep()).isEqualTo(60);
    assertThat(d.getWorldSize()).isEqualTo(2);
    assertThat(d.getPositions()).hasSize(8);
    assertThat(StandardCharsets.UTF_8.decode(d.getCursor()).toString())
        .isEqualTo(new String(cursors.get(0), StandardCharsets.UTF_8));

    // lineage: what the run consumed up to its checkpoint, and where a taken-down document was
    String takenDown = uninterrupted.get(1).get(7); // rank 1, step 7
    String docId = "doc-" + takenDown.charAt(0) + "-" + Long.parseLong(takenDown.substring(2));
    producer.beginTransaction();
    producer.send(
        new ProducerRecord<>(
            Topics.CORPUS_TAKEDOWNS.name(),
            "DOC_ID:" + docId,
            Topics.CORPUS_TAKEDOWNS.serialize(
                dev.refinery.schemas.Takedown.newBuilder()
                    .setScope(dev.refinery.schemas.TakedownScope.DOC_ID)
                    .setValue(docId)
                    .setReason("licensor withdrew it")
                    .setRequestedAt(Instant.now())
                    .build())));
    producer.commitTransaction();
    Lineage.Report report =
        Lineage.of(
            new BridgeConfig(Map.of("bootstrap.servers", kafka.bootstrapServers())),
            "exact",
            -1,
            line -> {});
    Set<String> consumed = new HashSet<>();
    for (int r = 0; r < 2; r++) {
      uninterrupted
          .get(r)
          .subList(0, 60)
          .forEach(
              id -> consumed.add("doc-" + id.charAt(0) + "-" + Long.parseLong(id.substring(2))));
    }
    assertThat(report.step()).isEqualTo(60);
    assertThat(report.documentIds()).isEqualTo(consumed);
    assertThat(report.batches().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(120);
    assertThat(report.tokensByLicence()).containsOnlyKeys("CC0-1.0");
    assertThat(report.takedownHits())
        .singleElement()
        .satisfies(
            h -> {
              assertThat(h.step()).isEqualTo(7);
              assertThat(h.rank()).isEqualTo(1);
              assertThat(h.docId()).isEqualTo(docId);
              assertThat(h.reason()).isEqualTo("licensor withdrew it");
            });
    assertThat(Lineage.format(report, false))
        .contains("step 7 rank 1")
        .contains("licensor withdrew it");
  }

  @Test
  void resumingOnAnotherWorldSizeRepeatsAndSkipsNothing() throws Exception {
    BridgeClient.Hello hello = new BridgeClient.Hello("resize", 0, 2, AB, 3);
    List<List<String>> before = new ArrayList<>();
    byte[] cursor = null;
    for (int r = 0; r < 2; r++) {
      try (BridgeClient c = BridgeClient.connect(tcp(), hello.as(r, 2))) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          ids.add(c.next().batchId());
        }
        c.next(); // one read ahead of the checkpoint, not consumed by the run
        before.add(ids);
        cursor = c.checkpoint(50);
      }
    }
    List<List<String>> after4 = readAll(hello, 4, 30, cursor);
    List<List<String>> all = new ArrayList<>(before);
    all.addAll(after4);
    Set<String> union = union(all);
    assertThat(union).hasSize(100 + 120);
    assertPrefixes(union);

    // and back to 3 ranks from a cursor taken on 4
    byte[] cursor4;
    try (BridgeClient c = BridgeClient.connect(tcp(), hello.as(0, 4).resumingFrom(cursor))) {
      for (int i = 0; i < 30; i++) {
        c.next();
      }
      cursor4 = c.checkpoint(80);
    }
    assertThat(Cursor.decode(cursor4).segments())
        .containsExactly(new Cursor.Segment(0, 0, 2), new Cursor.Segment(50, 100, 4));
    all.addAll(readAll(hello, 3, 20, cursor4));
    Set<String> union3 = union(all);
    assertThat(union3).hasSize(220 + 60);
    assertPrefixes(union3);
  }

  @Test
  void dataProducedWhileRanksReadIsPickedUpAndTheNonBlockingModeSaysWhatItWaitsFor()
      throws Exception {
    produce("live", 0, 5);
    BridgeClient.Hello hello = new BridgeClient.Hello("live", 0, 1, Map.of("live", 1.0), 5);
    try (BridgeClient c =
        BridgeClient.connect(UnixDomainSocketAddress.of(server.socket()), hello)) {
      for (int i = 0; i < 5; i++) {
        assertThat(c.next().index()).isEqualTo(i);
      }
      assertThat(c.next(0)).isNull();
      assertThat(c.next(200)).isNull();
      assertThat(server.registry().scrape())
          .contains("refinery_bridge_lag_batches{rank=\"0\",run=\"live\"} 0.0")
          .contains("refinery_bridge_tokens_total{rank=\"0\",run=\"live\"} 40.0");
      Thread later = new Thread(() -> produce("live", 5, 20));
      later.start();
      for (int i = 5; i < 20; i++) {
        BridgeClient.Batch b = c.next();
        assertThat(b.index()).isEqualTo(i);
        assertThat(b.step()).isEqualTo(i);
      }
      later.join();
      c.report(
          20,
          Map.of(
              "loss",
              2.5,
              "tokens_seen",
              160,
              "data_wait_ms",
              1.5,
              "values",
              Map.of("grad_norm", 0.7)));
    }
    List<TrainerMetric> metrics =
        kafka.await(
            Topics.TRAINER_METRICS,
            l -> l.stream().anyMatch(m -> m.getRunId().equals("live")),
            Duration.ofSeconds(30));
    TrainerMetric m =
        metrics.stream().filter(x -> x.getRunId().equals("live")).findFirst().orElseThrow();
    assertThat(m.getStep()).isEqualTo(20);
    assertThat(m.getLoss()).isEqualTo(2.5);
    assertThat(m.getTokensSeen()).isEqualTo(160);
    assertThat(m.getValues()).containsEntry("grad_norm", 0.7);
  }

  @Test
  void garbageIsAnsweredWithAReasonAndTheBridgeKeepsServing() throws Exception {
    BridgeClient.Hello good = new BridgeClient.Hello("garbage", 0, 1, AB, 1);
    assertThatThrownBy(() -> BridgeClient.connect(tcp(), good.as(3, 2)))
        .hasMessageContaining("rank must be in [0, world_size)");
    assertThatThrownBy(
            () ->
                BridgeClient.connect(
                    tcp(), new BridgeClient.Hello("g", 0, 1, Map.of("nosuch", 1.0), 1)))
        .hasMessageContaining("tokens.nosuch.v1 does not exist");
    assertThatThrownBy(
            () ->
                BridgeClient.connect(
                    tcp(), good.resumingFrom("junk".getBytes(StandardCharsets.UTF_8))))
        .hasMessageContaining("cursor");
    byte[] cursor;
    try (BridgeClient c = BridgeClient.connect(tcp(), good)) {
      c.next();
      cursor = c.checkpoint(1);
    }
    assertThatThrownBy(
            () ->
                BridgeClient.connect(
                    tcp(), new BridgeClient.Hello("other", 0, 1, AB, 1).resumingFrom(cursor)))
        .hasMessageContaining("the cursor is of run 'garbage'");
    assertThatThrownBy(
            () ->
                BridgeClient.connect(
                    tcp(), new BridgeClient.Hello("garbage", 0, 1, AB, 2).resumingFrom(cursor)))
        .hasMessageContaining("would not continue the run");

    // bytes that are not a frame, and a frame that says it is huge
    for (byte[] junk :
        new byte[][] {
          "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
          {1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 'x', 'y', 'z'},
          {1, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
        }) {
      try (SocketChannel s = SocketChannel.open(tcp())) {
        s.write(ByteBuffer.wrap(junk));
        Frames.Frame answer = Frames.read(s, 1 << 20);
        assertThat(answer.type()).isEqualTo(Frames.ERROR);
        assertThat(answer.header().path("error").asText()).isNotBlank();
      }
    }

    // a rank that asks for images in a way the bridge does not serve them
    try (SocketChannel s = SocketChannel.open(tcp())) {
      com.fasterxml.jackson.databind.node.ObjectNode hello = Frames.object();
      hello.put("run_id", "garbage-images").put("rank", 0).put("world_size", 1);
      hello.put("images", "pixels");
      hello.putObject("streams").put("a", 1.0);
      Frames.write(s, Frames.HELLO, hello, null);
      Frames.Frame answer = Frames.read(s, 1 << 20);
      assertThat(answer.type()).isEqualTo(Frames.ERROR);
      assertThat(answer.header().path("error").asText()).contains("images must be \"bytes\"");
    }

    // among the batches of a stream: a record without an index (skipped) and one that does not
    // decode (its step keeps its place and says why)
    String topic = Topics.tokens("junk").name();
    TokenBatch first = batch("junk", 0);
    producer.beginTransaction();
    producer.send(
        new ProducerRecord<>(topic, 0, first.getBatchId(), Topics.tokens("junk").serialize(first)));
    producer.send(new ProducerRecord<>(topic, 0, "no-index-here", new byte[] {1, 2}));
    producer.send(
        new ProducerRecord<>(topic, 0, "junk-000000000001", new byte[] {(byte) 0xC3, 1, 9}));
    TokenBatch third = batch("junk", 2);
    producer.send(
        new ProducerRecord<>(topic, 0, third.getBatchId(), Topics.tokens("junk").serialize(third)));
    producer.commitTransaction();
    try (BridgeClient c =
        BridgeClient.connect(tcp(), new BridgeClient.Hello("junk", 0, 1, Map.of("junk", 1.0), 1))) {
      assertThat(c.next().error()).isNull();
      BridgeClient.Batch bad = c.next();
      assertThat(bad.index()).isEqualTo(1);
      assertThat(bad.error()).contains("does not decode");
      assertThat(bad.tokens().remaining()).isZero();
      assertThat(c.next().index()).isEqualTo(2);
    }
    // neither was skipped in silence: each is on corpus.rejected.v1, once, with where it was
    List<RejectedDocument> poison =
        kafka.await(
            Topics.CORPUS_REJECTED,
            l -> l.stream().filter(x -> x.getStage() == Stage.TRAINER_BRIDGE).count() >= 2,
            Duration.ofSeconds(30));
    assertThat(poison.stream().filter(x -> x.getStage() == Stage.TRAINER_BRIDGE))
        .extracting(RejectedDocument::getReason, RejectedDocument::getLocation)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(PoisonRecords.NO_BATCH_INDEX, topic + "-0@1"),
            org.assertj.core.groups.Tuple.tuple(PoisonRecords.UNDECODABLE_BATCH, topic + "-0@2"));
    assertThat(server.registry().scrape())
        .contains("refinery_bridge_rejected_records_total{reason=\"UNDECODABLE_BATCH\"} 1.0");
    // the server is still serving
    assertThat(read(good, 3, -1)).hasSize(3);
    assertThat(server.registry().scrape()).contains("refinery_bridge_bad_frames_total");
  }

  /** Waits until the bridge's health says it holds {@code n} takedowns in force. */
  static void awaitTakedownsInForce(int n) throws InterruptedException {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    while (!Integer.valueOf(n).equals(server.health().details().get("takedowns_in_force"))) {
      assertThat(System.nanoTime()).as("the bridge read the takedowns").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  /** A batch of "masked": four spans of two ids each, from two sources, with URLs. */
  static TokenBatch maskedBatch(long index) {
    List<DocumentSpan> spans = new ArrayList<>();
    int[] ids = new int[8];
    String[][] docs = {
      {"doc-m-" + index + "-0", "src-masked", "https://keep.example/a-" + index},
      {"doc-m-" + index + "-1", "src-masked", "https://masked.example/private/p-" + index},
      {"doc-m-" + index + "-2", "src-gone", null},
      {"doc-m-" + index + "-3", "src-masked", "https://keep.example/b-" + index}
    };
    for (int d = 0; d < 4; d++) {
      ids[2 * d] = 1000 + d;
      ids[2 * d + 1] = 2000 + d;
      spans.add(
          DocumentSpan.newBuilder()
              .setDocId(docs[d][0])
              .setSource(
                  Source.newBuilder()
                      .setName(docs[d][1])
                      .setKind(SourceKind.PUBLIC_WEB)
                      .setLicence(Licence.newBuilder().setSpdxId("CC0-1.0").build())
                      .setStream("masked")
                      .build())
              .setSequence(d / 2)
              .setOffset(2 * (d % 2))
              .setLength(2)
              .setDocOffset(0)
              .setDocTokens(2)
              .setUrl(docs[d][2])
              .build());
    }
    return TokenBatch.newBuilder(batch("masked", index))
        .setTokens(TokenBytes.encode(ids, 0, ids.length, TokenDType.UINT32))
        .setSpans(spans)
        .build();
  }

  @Test
  void spansUnderATakedownPublishedAfterTokenizationAreDeliveredMaskedInTheirPlace()
      throws Exception {
    String topic = Topics.tokens("masked").name();
    producer.beginTransaction();
    for (long i = 0; i < 3; i++) {
      TokenBatch b = maskedBatch(i);
      producer.send(
          new ProducerRecord<>(topic, 0, b.getBatchId(), Topics.tokens("masked").serialize(b)));
    }
    producer.commitTransaction();
    // published after the batches were written: a URL prefix, a source, and one document
    dev.refinery.runtime.config.KafkaClients clients =
        dev.refinery.runtime.config.KafkaClients.of(kafka.bootstrapServers());
    for (String[] t :
        new String[][] {
          {"URL_PREFIX", "https://MASKED.example/private/"},
          {"SOURCE", "src-gone"},
          {"DOC_ID", "doc-m-2-3"}
        }) {
      dev.refinery.runtime.takedowns.Takedowns.publish(
          clients,
          dev.refinery.schemas.Takedown.newBuilder()
              .setScope(dev.refinery.schemas.TakedownScope.valueOf(t[0]))
              .setValue(t[1])
              .setReason("test")
              .setRequestedAt(Instant.now())
              .build());
    }
    // the bridge follows the takedowns as they come
    awaitTakedownsInForce(3);

    try (BridgeClient c =
        BridgeClient.connect(
            tcp(), new BridgeClient.Hello("masking", 0, 1, Map.of("masked", 1.0), 1))) {
      for (long i = 0; i < 3; i++) {
        BridgeClient.Batch b = c.next();
        assertThat(b.index()).isEqualTo(i);
        int[] ids = b.ids();
        assertThat(ids).hasSize(8);
        // spans 1 (URL prefix) and 2 (source) are padding now; 0 and 3 as written, but for the
        // last batch, whose span 3 is taken down by its id
        assertThat(ids[0]).isEqualTo(1000);
        assertThat(ids[2]).isEqualTo(100257);
        assertThat(ids[3]).isEqualTo(100257);
        assertThat(ids[4]).isEqualTo(100257);
        assertThat(ids[5]).isEqualTo(100257);
        assertThat(ids[6]).isEqualTo(i == 2 ? 100257 : 1003);
        assertThat(b.header().path("masked").size()).isEqualTo(i == 2 ? 3 : 2);
        assertThat(b.header().path("masked_tokens").asInt()).isEqualTo(i == 2 ? 6 : 4);
        assertThat(b.header().path("masked").get(0).get(3).asText())
            .isEqualTo("URL_PREFIX:https://masked.example/private/");
      }
    }
    // the topic keeps the batches as written: the audit and the lineage see every span
    assertThat(kafka.values(Topics.tokens("masked")).get(0).getTokens())
        .isEqualTo(maskedBatch(0).getTokens());

    // withdrawn, a takedown no longer masks
    dev.refinery.runtime.takedowns.Takedowns.withdraw(clients, "SOURCE:src-gone");
    awaitTakedownsInForce(2);
    try (BridgeClient c =
        BridgeClient.connect(
            tcp(), new BridgeClient.Hello("masking-2", 0, 1, Map.of("masked", 1.0), 1))) {
      int[] ids = c.next().ids();
      assertThat(ids[4]).isEqualTo(1002);
    }
    assertThat(server.registry().scrape()).contains("refinery_bridge_masked_spans_total");
  }

  @Test
  void thePythonClientReceivesBatchesBitIdenticalToWhatWasProduced() throws Exception {
    Path python = Path.of("python");
    Assumptions.assumeTrue(Files.isDirectory(python), "trainer-bridge/python is beside the module");
    Process which = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
    Assumptions.assumeTrue(which.waitFor() == 0, "python3 is installed");
    // what was produced: the expected tokens of every batch, as hex, for the Python test to compare
    Path expected = dir.resolve("expected.txt");
    StringBuilder lines = new StringBuilder();
    for (String stream : List.of("a", "b")) {
      for (int i = 0; i < PER_STREAM; i++) {
        ByteBuffer t = batch(stream, i).getTokens();
        byte[] bytes = new byte[t.remaining()];
        t.get(bytes);
        lines
            .append(Keys.batch(stream, i))
            .append(' ')
            .append(java.util.HexFormat.of().formatHex(bytes))
            .append('\n');
      }
    }
    Files.writeString(expected, lines);
    ProcessBuilder pb =
        new ProcessBuilder("python3", "-m", "unittest", "discover", "-s", "tests", "-v")
            .directory(python.toFile())
            .redirectErrorStream(true);
    pb.environment().put("REFINERY_BRIDGE_TCP", "127.0.0.1:" + server.port());
    pb.environment().put("REFINERY_BRIDGE_SOCKET", server.socket().toString());
    pb.environment().put("REFINERY_BRIDGE_EXPECTED", expected.toString());
    pb.environment().put("REFINERY_BRIDGE_HTTP", "http://127.0.0.1:" + server.httpPort());
    pb.environment().put("REFINERY_BRIDGE_TOKEN", TOKEN);
    RewardPairsFixture.produce(kafka.bootstrapServers());
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output)
        .contains("test_batches_are_bit_identical")
        .contains(
            "LiveRewardPairsTest.test_reward_pairs_are_the_latest_revision_of_each_set) ... ok")
        .doesNotContain("skipped 'REFINERY_BRIDGE");
    // where torch is installed, the dataset's tensors and state_dict are checked too (exit 0)
    assertThat(output)
        .contains("test_the_dataset_yields_training_tensors_and_its_state_dict_resumes_exactly");
  }
}
