package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.bridge.BridgeClient;
import dev.refinery.bridge.BridgeConfig;
import dev.refinery.bridge.BridgeServer;
import dev.refinery.bridge.TakedownReach;
import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.IngestReport;
import dev.refinery.ingest.Ingestor;
import dev.refinery.ingest.SourceDeclaration;
import dev.refinery.runtime.audit.PipelineAudit;
import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.images.ImageCheck;
import dev.refinery.runtime.images.SampleImages;
import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.ImagePlacement;
import dev.refinery.schemas.SourceKind;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.TakedownScope;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.Topics;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images with their text through every stage on the embedded broker: a WebDataset shard and an
 * interleaved (OBELICS) JSONL document through ingest, dedup-filter, the tokenizer and the bridge
 * to a Python rank. Each image a document held ends exactly once in a token batch or in a rejection
 * with its reason (invariant 1, for images); the bytes a Python rank receives are those of the
 * source files; a takedown by an image's hash reaches the document that holds it, in lineage and in
 * delivery.
 */
class MultimodalPipelineIT {
  static final SourceDeclaration PHOTOS =
      new SourceDeclaration("photos", SourceKind.PUBLIC_WEB, "CC0-1.0", null, null, "vision");
  static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();

  @TempDir Path work;

  @Test
  void eachImageEndsOnceAndReachesAPythonRankByteForByte() throws Exception {
    BufferedImage a = SampleImages.drawing(11, 320, 240);
    byte[] aPng = SampleImages.encode(a, "png");
    byte[] aSmallJpeg = SampleImages.encode(SampleImages.resized(a, 256, 192), "jpg");
    byte[] bJpeg = SampleImages.encode(SampleImages.drawing(12, 300, 300), "jpg");
    byte[] bCut = Arrays.copyOf(bJpeg, bJpeg.length / 2);
    byte[] icon = SampleImages.encode(SampleImages.drawing(13, 64, 64), "png");
    byte[] d = SampleImages.encode(SampleImages.drawing(14, 300, 300), "png");
    byte[] e = SampleImages.encode(SampleImages.drawing(15, 400, 300), "png");
    byte[] f = SampleImages.encode(SampleImages.drawing(16, 300, 400), "jpg");

    Map<String, byte[]> shard = new LinkedHashMap<>();
    sample(shard, "000", "png", aPng, "A drawing of shapes, number eleven.", 0);
    sample(shard, "001", "png", aPng, "The same drawing again.", 1);
    sample(shard, "002", "jpg", aSmallJpeg, "A smaller copy of it.", 2);
    sample(shard, "003", "jpg", bCut, "This one is broken.", 3);
    sample(shard, "004", "png", icon, "An icon.", 4);
    sample(shard, "005", "png", d, null, 5);
    shard.put("006.png", SampleImages.pngBomb(50_000, 50_000));
    Path tar = work.resolve("in/photos-000.tar");
    Files.createDirectories(tar.getParent().resolve("img"));
    Files.write(tar, tar(shard));
    Files.write(tar.getParent().resolve("img/e.png"), e);
    Files.write(tar.getParent().resolve("img/f.jpg"), f);
    Path pages = tar.getParent().resolve("pages.jsonl");
    Files.writeString(
        pages,
        "{\"id\": \"page-1\", \"date\": \"2026-11-30T06:00:00Z\", \"texts\": [\"Intro to the"
            + " page.\", null, \"Between the pictures.\", null, \"The end.\"], \"images\": [null,"
            + " \"img/e.png\", null, \"img/f.jpg\", null]}\n");

    Settings settings =
        new Settings(
            work.resolve("refinery"),
            null,
            Map.of(),
            Map.of(
                "bootstrap.servers", kafka.bootstrapServers(),
                "tokenizer.streams", "vision",
                "tokenizer.seq.len", "64",
                "tokenizer.batch.sequences", "2",
                "tokenizer.image.max.tokens", "16",
                "tokenizer.flush.idle.ms", "500",
                "tokenizer.checkpoint.interval.ms", "500",
                "dedup.http.port", "0",
                "tokenizer.metrics.port", "-1"));
    KafkaClients clients = KafkaClients.of(kafka.bootstrapServers());
    List<TokenBatch> batches;
    IngestReport shardReport;
    try (Pipeline pipeline = Pipeline.start(settings, false, new PrintWriter(new StringWriter()));
        Ingestor ingestor =
            Ingestor.create(settings.ingest(), "multimodal-it", IngestMetrics.inMemory())) {
      shardReport = ingestor.ingest(tar, PHOTOS);
      ingestor.ingest(pages, PHOTOS);
      kafka.await(
          Topics.tokens("vision"),
          l -> PipelineAudit.read(clients, List.of("vision")).drained(),
          Duration.ofSeconds(180));
      // read again once drained: the values await hands back were read before the audit, and a
      // batch committed between the two reads was missing from them (an empty list, on a slow run)
      batches = kafka.values(Topics.tokens("vision"));
    }
    assertThat(shardReport.documents()).isEqualTo(6);
    assertThat(shardReport.images()).isEqualTo(5);
    assertThat(shardReport.imagesRejected()).containsOnlyKeys("IMAGE_CORRUPT");
    assertThat(shardReport.rejected()).containsOnlyKeys("BAD_MULTIMODAL");

    // invariant 1 for images: each image of each document in one place
    PipelineAudit audit = PipelineAudit.read(clients, List.of("vision"));
    assertThat(audit.violations()).isEmpty();
    PipelineAudit.ImageAccount account = audit.images();
    assertThat(account.images()).isEqualTo(7);
    assertThat(account.violations()).isEmpty();
    assertThat(account.inFlight()).isZero();
    assertThat(account.withTheirDocument()).isZero();
    assertThat(account.delivered()).isEqualTo(4);
    assertThat(account.refused())
        .containsOnly(
            Map.entry("IMAGE_EXACT_DUPLICATE", 1L),
            Map.entry("IMAGE_NEAR_DUPLICATE", 1L),
            Map.entry("IMAGE_TOO_SMALL", 1L));
    List<ImagePlacement> delivered = new ArrayList<>();
    for (TokenBatch b : batches) {
      int[] tokens = TokenBytes.of(b);
      int width = TokenBytes.rowWidth(b);
      for (ImagePlacement p : b.getImages()) {
        delivered.add(p);
        assertThat(tokens[p.getSequence() * width + p.getOffset()]).isEqualTo(100270);
        assertThat(tokens[p.getSequence() * width + p.getOffset() + p.getLength() - 1])
            .isEqualTo(100271);
        assertThat(p.getOffset() + p.getLength()).isLessThanOrEqualTo(b.getSeqLen());
      }
    }
    Set<String> expected = Set.of(sha(aPng), sha(d), sha(e), sha(f));
    assertThat(delivered)
        .extracting(ImagePlacement::getSha256)
        .containsExactlyInAnyOrderElementsOf(expected);

    // the bytes a Python rank receives are the source files'
    Map<String, JsonNode> received = pythonRank(batches.size());
    assertThat(received.keySet()).containsExactlyInAnyOrderElementsOf(expected);
    received.forEach(
        (sha, got) -> {
          assertThat(got.path("received_sha256").asText()).isEqualTo(sha);
          ImagePlacement p =
              delivered.stream().filter(x -> x.getSha256().equals(sha)).findFirst().orElseThrow();
          assertThat(got.path("learned").asBoolean()).as("no image position is learned").isFalse();
          if (got.has("shape")) {
            assertThat(got.path("shape").get(0).asInt()).isEqualTo(p.getHeight());
            assertThat(got.path("shape").get(1).asInt()).isEqualTo(p.getWidth());
          }
          if (got.has("tensor_shape")) {
            assertThat(got.path("tensor_shape").get(0).asInt()).isEqualTo(p.getHeight());
            assertThat(got.path("positions").get(0).asInt()).isEqualTo(p.getSequence());
            assertThat(got.path("positions").get(1).asInt()).isEqualTo(p.getOffset() + 1);
            assertThat(got.path("positions").get(2).asInt()).isEqualTo(p.getLength() - 2);
          }
        });

    // a takedown of an image reaches the page that holds it: in lineage, and in delivery
    Takedown takedown =
        Takedown.newBuilder()
            .setScope(TakedownScope.IMAGE)
            .setValue(sha(e))
            .setReason("a rights holder's request")
            .setRequestedAt(Instant.now())
            .build();
    Takedowns.publish(clients, takedown);
    BridgeConfig bridgeConfig = bridge(Map.of());
    TakedownReach.Report reach = TakedownReach.of(bridgeConfig, takedown, w -> {});
    assertThat(reach.cleanDocuments()).isEqualTo(1);
    assertThat(reach.spans()).isPositive();
    String page =
        audit.documents().values().stream()
            .filter(doc -> "page-1".equals(doc.nativeId()))
            .findFirst()
            .orElseThrow()
            .id();
    try (BridgeServer bridge = BridgeServer.start(bridgeConfig);
        BridgeClient c =
            BridgeClient.connect(
                new InetSocketAddress("127.0.0.1", bridge.port()),
                new BridgeClient.Hello("after-takedown", 0, 1, Map.of("vision", 1.0), 3))) {
      int maskedImages = 0;
      for (int i = 0; i < batches.size(); i++) {
        BridgeClient.Batch b = c.next();
        JsonNode images = b.header().path("images");
        for (int k = 0; k < images.size(); k++) {
          if (images.get(k).get(0).asText().equals(page)) {
            assertThat(images.get(k).get(9).asText()).isEqualTo("masked");
            assertThat(b.images().get(k)).isNull();
            maskedImages++;
          }
        }
        for (JsonNode m : b.header().path("masked")) {
          assertThat(m.get(3).asText()).isEqualTo("IMAGE:" + sha(e));
          assertThat(m.get(4).asText()).isEqualTo(page);
        }
      }
      assertThat(maskedImages).isEqualTo(2);
      // the run checkpoints; its lineage finds the page under the image's takedown, and counts the
      // run's images by source and licence
      c.checkpoint(batches.size());
    }
    dev.refinery.bridge.Lineage.Report lineage =
        dev.refinery.bridge.Lineage.of(bridgeConfig, "after-takedown", -1, w -> {});
    assertThat(lineage.takedownHits())
        .isNotEmpty()
        .allSatisfy(
            hit -> {
              assertThat(hit.docId()).isEqualTo(page);
              assertThat(hit.takedown()).isEqualTo("IMAGE:" + sha(e));
            });
    assertThat(lineage.imagesBySource()).containsEntry("photos", 4L);
    assertThat(lineage.imagesByLicence()).containsEntry("CC0-1.0", 4L);
  }

  /** A Python rank (the wheel's client) reads every batch and reports each image it received. */
  private Map<String, JsonNode> pythonRank(int steps) throws Exception {
    Path client = Path.of("../trainer-bridge/python").toAbsolutePath();
    Assumptions.assumeTrue(Files.isDirectory(client), "the Python client is beside the module");
    String python = null;
    for (String candidate : List.of("/usr/bin/python3", "python3")) {
      try {
        Process p = new ProcessBuilder(candidate, "--version").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          python = candidate;
          break;
        }
      } catch (IOException notThere) {
        // the next one
      }
    }
    Assumptions.assumeTrue(python != null, "python3 is installed");
    Path script = work.resolve("rank.py");
    Files.writeString(
        script,
        """
        import hashlib, json, sys
        import refinery_bridge
        from refinery_bridge import BridgeClient
        try:
            import PIL, numpy  # decoded arrays where Pillow and numpy are installed
            arrays = True
        except ImportError:
            arrays = False
        try:
            import torch  # and the dataset's tensors where torch is
        except ImportError:
            torch = None
        out = {}
        with BridgeClient.connect(sys.argv[1], run_id="multimodal", streams={"vision": 1.0}, seed=5) as c:
            for _ in range(int(sys.argv[2])):
                batch = c.next()
                decoded = batch.image_arrays() if arrays else [None] * len(batch.images())
                tensors = refinery_bridge._as_tensors(batch, torch) if torch and arrays else None
                mask = batch.loss_mask()
                for k, (image, array) in enumerate(zip(batch.images(), decoded)):
                    if image["data"] is None:
                        continue
                    got = {"received_sha256": hashlib.sha256(image["data"]).hexdigest(),
                           "state": image["state"],
                           "learned": any(mask[image["sequence"]][image["offset"]:image["offset"] + image["length"]])}
                    if array is not None:
                        got["shape"] = list(array.shape)
                    if tensors is not None:
                        got["tensor_shape"] = list(tensors["images"][k].shape)
                        got["positions"] = tensors["image_positions"][k].tolist()
                    out[image["sha256"]] = got
        print(json.dumps(out))
        """);
    BridgeConfig config = bridge(Map.of(BridgeConfig.IMAGE_CACHE, 2));
    try (BridgeServer bridge = BridgeServer.start(config)) {
      ProcessBuilder pb =
          new ProcessBuilder(
                  python, script.toString(), "127.0.0.1:" + bridge.port(), Integer.toString(steps))
              .redirectErrorStream(true);
      pb.environment().put("PYTHONPATH", client.toString());
      Process p = pb.start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(output).isZero();
      String last = output.strip().lines().reduce((x, y) -> y).orElse("{}");
      Map<String, JsonNode> out = new HashMap<>();
      JSON.readTree(last).properties().forEach(en -> out.put(en.getKey(), en.getValue()));
      return out;
    }
  }

  /** A bridge of the vision stream on a free port, with {@code extra} settings. */
  private static BridgeConfig bridge(Map<String, Object> extra) {
    Map<String, Object> settings = new HashMap<>(extra);
    settings.put("bootstrap.servers", kafka.bootstrapServers());
    settings.put(BridgeConfig.PORT, 0);
    settings.put(BridgeConfig.HTTP_PORT, -1);
    settings.put(BridgeConfig.STREAMS, "vision");
    return new BridgeConfig(settings);
  }

  private static void sample(
      Map<String, byte[]> shard, String key, String ext, byte[] image, String text, int hour) {
    shard.put(key + "." + ext, image);
    if (text != null) {
      shard.put(key + ".txt", text.getBytes(StandardCharsets.UTF_8));
    }
    shard.put(
        key + ".json",
        String.format("{\"date\": \"2026-11-30T%02d:00:00Z\", \"key\": \"%s\"}", hour, key)
            .getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] tar(Map<String, byte[]> files) {
    return dev.refinery.ingest.WebDatasetShard.of(files);
  }

  private static String sha(byte[] bytes) {
    return ImageCheck.sha256(bytes);
  }
}
