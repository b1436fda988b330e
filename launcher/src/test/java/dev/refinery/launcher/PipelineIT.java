package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.infra.testing.SharedData;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.IngestReport;
import dev.refinery.ingest.Ingestor;
import dev.refinery.ingest.SourceDeclaration;
import dev.refinery.runtime.audit.PipelineAudit;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.Topics;
import dev.refinery.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 1 of the design, end to end on the embedded broker with real samples: every input
 * record ends exactly once, in the spans of token batches or on corpus.rejected.v1 with a reason,
 * and every span decodes back to the part of its document's text that it covers.
 */
class PipelineIT {
  static final SourceDeclaration DOLMA =
      new SourceDeclaration("dolma-cc", SourceKind.PUBLIC_WEB, "ODC-BY-1.0", null, null, "web");
  static final SourceDeclaration JUICER =
      new SourceDeclaration("datajuicer", SourceKind.ACADEMIC, "Apache-2.0", null, null, "web");
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  @TempDir Path work;

  @Test
  void everyInputDocumentEndsExactlyOnceAndEverySpanDecodesToItsText() throws Exception {
    List<Ingestor.Input> inputs =
        List.of(
            Ingestor.Input.of(SharedData.corpus("dolma-cc_en_head-0091.jsonl.gz"), DOLMA),
            Ingestor.Input.of(SharedData.corpus("dolma-cc_en_head-0174.jsonl.gz"), DOLMA),
            Ingestor.Input.of(SharedData.corpus("datajuicer-dedup-demo.jsonl"), JUICER),
            Ingestor.Input.of(SharedData.corpus("dolma-test.jsonl"), JUICER),
            Ingestor.Input.of(SharedData.corpus("dolma-test.jsonl.gz"), JUICER));
    long inputRecords = 0;
    for (Ingestor.Input input : inputs) {
      inputRecords += nonBlankLines(input.file());
    }
    Settings settings =
        new Settings(
            work,
            null,
            Map.of(),
            Map.of(
                "bootstrap.servers", kafka.bootstrapServers(),
                "tokenizer.streams", "web",
                "tokenizer.seq.len", "512",
                "tokenizer.batch.sequences", "4",
                "tokenizer.flush.idle.ms", "500",
                "tokenizer.checkpoint.interval.ms", "500",
                "dedup.http.port", "0",
                "tokenizer.metrics.port", "-1"));
    StringWriter log = new StringWriter();

    List<IngestReport> reports;
    try (Pipeline pipeline = Pipeline.start(settings, false, new PrintWriter(log, true));
        Ingestor ingestor =
            Ingestor.create(settings.ingest(), "pipeline-it", IngestMetrics.inMemory())) {
      reports =
          IngestTable.ingestAll(
              ingestor, inputs, new PrintWriter(log, true), new PrintWriter(log, true));
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      PipelineAudit account =
          PipelineAudit.read(
              dev.refinery.runtime.config.KafkaClients.of(kafka.bootstrapServers()),
              List.of("web"));
      while (!account.drained()) {
        assertThat(System.nanoTime())
            .as("pipeline drained in time; in flight: %s; %s", account.inFlight(), log)
            .isLessThan(deadline);
        Thread.sleep(300);
        account =
            PipelineAudit.read(
                dev.refinery.runtime.config.KafkaClients.of(kafka.bootstrapServers()),
                List.of("web"));
      }
    }

    IngestReport total = IngestReport.sum("all", reports);
    assertThat(total.records()).as("ingest read every input record").isEqualTo(inputRecords);
    List<Document> raw = kafka.values(Topics.CORPUS_RAW);
    List<RejectedDocument> rejected = kafka.values(Topics.CORPUS_REJECTED);
    List<TokenBatch> batches = new ArrayList<>(kafka.values(Topics.tokens("web")));
    long rejectedAtIngest = rejected.stream().filter(r -> r.getStage() == Stage.INGEST).count();
    assertThat(raw.size() + rejectedAtIngest)
        .as("each input record became a document or an ingest rejection")
        .isEqualTo(inputRecords);
    assertThat(rejected)
        .allSatisfy(
            r -> {
              assertThat(r.getReason()).isNotBlank();
              assertThat(r.getDetail()).isNotBlank();
            });
    // dolma-test.jsonl has no "text" field: both copies are rejected at ingest, with that reason
    assertThat(rejected)
        .filteredOn(r -> r.getStage() == Stage.INGEST)
        .extracting(RejectedDocument::getReason)
        .containsOnly("MISSING_TEXT")
        .hasSize(2);

    Map<String, Integer> places = new HashMap<>();
    rejected.stream()
        .filter(r -> r.getStage() != Stage.INGEST)
        .forEach(r -> places.merge(r.getDocId(), 1, Integer::sum));
    Map<String, List<int[]>> pieces = new HashMap<>();
    Tokenizer tokenizer = Tokenizer.forName("cl100k_base");
    Map<String, Document> byId = new HashMap<>();
    raw.forEach(d -> byId.put(d.getId(), d));
    // the tokenizer reads the clean documents: their text may be cleaned (C4) or redacted (PII)
    Map<String, Document> cleanById = new HashMap<>();
    kafka.values(Topics.CORPUS_CLEAN).forEach(d -> cleanById.put(d.getId(), d));
    batches.sort(Comparator.comparingLong(TokenBatch::getBatchIndex));
    assertThat(batches.get(0).getBatchIndex()).isZero();
    for (TokenBatch batch : batches) {
      int[] tokens = TokenBytes.of(batch);
      for (DocumentSpan span : batch.getSpans()) {
        assertThat(byId).as("span of an ingested document").containsKey(span.getDocId());
        Document doc = cleanById.get(span.getDocId());
        assertThat(doc).as("span of a clean document").isNotNull();
        assertThat(span.getSource().getLicence().getSpdxId())
            .isEqualTo(doc.getSource().getLicence().getSpdxId());
        int at = TokenBytes.position(batch, span);
        int[] piece = java.util.Arrays.copyOfRange(tokens, at, at + span.getLength());
        int[] expected = tokenizer.encode(doc.getText());
        assertThat(piece)
            .as("span tokens are the document's tokens at its offset")
            .containsExactly(
                java.util.Arrays.copyOfRange(
                    expected, span.getDocOffset(), span.getDocOffset() + span.getLength()));
        pieces.computeIfAbsent(doc.getId(), k -> new ArrayList<>()).add(piece);
      }
    }
    pieces.keySet().forEach(id -> places.merge(id, 1, Integer::sum));
    assertThat(places.keySet())
        .as("every document is somewhere")
        .containsExactlyInAnyOrderElementsOf(byId.keySet());
    assertThat(places)
        .as("and in one place only")
        .allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    pieces.forEach(
        (id, list) -> {
          ByteArrayOutputStream bytes = new ByteArrayOutputStream();
          list.forEach(p -> bytes.writeBytes(tokenizer.decodeBytes(p, 0, p.length)));
          assertThat(bytes.toString(StandardCharsets.UTF_8))
              .as("document %s decoded from its spans", id)
              .isEqualTo(cleanById.get(id).getText());
        });
    assertThat(pieces).as("some documents were long enough to be tokenized").hasSizeGreaterThan(10);
    // datajuicer's dedup demo has short texts (the rules refuse them before dedup), and copies of a
    // news story with a word changed; Dolma's web text fails Gopher's checks here and there. With
    // words counted as the Gopher paper counts them (white space), none of these samples falls
    // under the 80 % of words with a letter: datatrove's token counting refused one of them
    assertThat(rejected)
        .extracting(RejectedDocument::getReason)
        .contains("GOPHER_SHORT_DOC", "NEAR_DUPLICATE")
        .doesNotContain("GOPHER_BELOW_ALPHA_THRESHOLD");
    assertThat(rejected)
        .filteredOn(r -> r.getStage() == Stage.DEDUP_FILTER)
        .allSatisfy(r -> assertThat(r.getRule()).isNotBlank());

    PipelineAudit audit =
        PipelineAudit.read(
            dev.refinery.runtime.config.KafkaClients.of(kafka.bootstrapServers()), List.of("web"));
    assertThat(audit.drained()).isTrue();
    // it keeps what it accounts, a few fields a document (by id: two records here share one), not
    // the texts, tokens or originals
    assertThat(audit.documents().values())
        .allSatisfy(d -> assertThat(d.chars()).isEqualTo(byId.get(d.id()).getText().length()))
        .hasSize(byId.size());
    assertThat(audit.rejected())
        .hasSameSizeAs(rejected)
        .allSatisfy(r -> assertThat(r.getOriginal().remaining()).isZero());
    assertThat(audit.batches().get("web"))
        .extracting(PipelineAudit.Batch::index)
        .containsExactlyElementsOf(batches.stream().map(TokenBatch::getBatchIndex).toList());
    assertThat(audit.firstBatch("web")).contains(batches.get(0));

    // `refinery audit` says the same of the drained cluster, and exits 0
    StringWriter printed = new StringWriter();
    int status =
        Refinery.commandLine()
            .setOut(new PrintWriter(printed, true))
            .setErr(new PrintWriter(printed, true))
            .execute(
                "audit",
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--work-dir",
                work.toString(),
                "--streams",
                "web");
    assertThat(status).as(printed.toString()).isZero();
    assertThat(printed.toString())
        .contains(String.format("documents on corpus.raw.v1   %d%n", byId.size()))
        .contains(String.format("duplicated                   0%n"))
        .contains(String.format("unaccounted                  0%n"));

    takedownsAfterTokenizationAreMaskedAtDelivery(settings, batches);
  }

  /**
   * A takedown published after documents were tokenized: `refinery takedown`'s report finds their
   * spans, the bridge delivers them masked in their place, the topic keeps them (the audit still
   * balances), and a run resumed from its cursor gets exactly what an uninterrupted one gets.
   */
  private void takedownsAfterTokenizationAreMaskedAtDelivery(
      Settings settings, List<TokenBatch> batches) throws Exception {
    DocumentSpan byUrl =
        batches.stream()
            .flatMap(b -> b.getSpans().stream())
            .filter(sp -> sp.getUrl() != null)
            .findFirst()
            .orElseThrow();
    dev.refinery.runtime.config.KafkaClients clients =
        dev.refinery.runtime.config.KafkaClients.of(kafka.bootstrapServers());
    dev.refinery.schemas.Takedown takedown =
        dev.refinery.schemas.Takedown.newBuilder()
            .setScope(dev.refinery.schemas.TakedownScope.URL_PREFIX)
            .setValue(byUrl.getUrl())
            .setReason("publisher's request")
            .setRequestedAt(java.time.Instant.now())
            .build();
    dev.refinery.runtime.takedowns.Takedowns.publish(clients, takedown);
    long expectedSpans =
        batches.stream()
            .flatMap(b -> b.getSpans().stream())
            .filter(sp -> byUrl.getUrl().equals(sp.getUrl()))
            .count();

    dev.refinery.bridge.TakedownReach.Report reach =
        dev.refinery.bridge.TakedownReach.of(settings.bridge(), takedown, w -> {});
    assertThat(reach.cleanDocuments()).isEqualTo(1);
    assertThat(reach.cleanSample()).containsExactly(byUrl.getDocId());
    assertThat(reach.spans()).isEqualTo(expectedSpans);

    Settings withBridge =
        new Settings(
            work,
            null,
            Map.of(),
            Map.of(
                "bootstrap.servers", kafka.bootstrapServers(),
                "bridge.streams", "web",
                "bridge.port", "0",
                "bridge.http.port", "-1"));
    try (dev.refinery.bridge.BridgeServer bridge =
        dev.refinery.bridge.BridgeServer.start(withBridge.bridge())) {
      java.net.SocketAddress at = new java.net.InetSocketAddress("127.0.0.1", bridge.port());
      dev.refinery.bridge.BridgeClient.Hello hello =
          new dev.refinery.bridge.BridgeClient.Hello("takedown-run", 0, 1, Map.of("web", 1.0), 7);
      List<int[]> uninterrupted = new ArrayList<>();
      long masked = 0;
      try (var c = dev.refinery.bridge.BridgeClient.connect(at, hello)) {
        for (int i = 0; i < batches.size(); i++) {
          var b = c.next();
          TokenBatch written = batches.get((int) b.index());
          int[] ids = b.ids();
          int[] original = TokenBytes.of(written);
          assertThat(ids).as("the batch keeps its shape").hasSameSizeAs(original);
          for (DocumentSpan sp : written.getSpans()) {
            int from = TokenBytes.position(written, sp);
            boolean under = byUrl.getUrl().equals(sp.getUrl());
            for (int k = from; k < from + sp.getLength(); k++) {
              assertThat(ids[k]).isEqualTo(under ? written.getPadToken() : original[k]);
            }
            masked += under ? 1 : 0;
          }
          assertThat(b.header().path("masked").size())
              .isEqualTo(
                  (int)
                      written.getSpans().stream()
                          .filter(sp -> byUrl.getUrl().equals(sp.getUrl()))
                          .count());
          uninterrupted.add(ids);
        }
      }
      assertThat(masked).isEqualTo(expectedSpans);
      // resumed half way, from the cursor: the same masked batches
      int half = batches.size() / 2;
      byte[] cursor;
      try (var c = dev.refinery.bridge.BridgeClient.connect(at, hello.as(0, 1))) {
        for (int i = 0; i < half; i++) {
          c.next();
        }
        cursor = c.checkpoint(half);
      }
      try (var c = dev.refinery.bridge.BridgeClient.connect(at, hello.resumingFrom(cursor))) {
        for (int i = half; i < batches.size(); i++) {
          assertThat(c.next().ids()).containsExactly(uninterrupted.get(i));
        }
      }
    }
    // the token topics keep every span: the audit still finds every document in one place
    assertThat(PipelineAudit.read(clients, List.of("web")).drained()).isTrue();
  }

  private static long nonBlankLines(Path file) throws IOException {
    var in = Files.newInputStream(file);
    var stream = file.toString().endsWith(".gz") ? new GZIPInputStream(in) : in;
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
      return reader.lines().filter(l -> !l.isBlank()).count();
    }
  }
}
