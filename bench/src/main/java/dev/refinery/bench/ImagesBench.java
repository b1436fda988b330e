package dev.refinery.bench;

import dev.refinery.bridge.BridgeClient;
import dev.refinery.bridge.BridgeConfig;
import dev.refinery.bridge.BridgeServer;
import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.runtime.images.ImageCheck;
import dev.refinery.runtime.images.ImageLimits;
import dev.refinery.runtime.images.SampleImages;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.Image;
import dev.refinery.schemas.ImagePlacement;
import dev.refinery.schemas.Source;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.TokenDType;
import dev.refinery.schemas.Topics;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Images: how many a core validates and hashes a second (ImageCheck: header bounds, a decode,
 * SHA-256 and the perceptual hash), on drawn JPEGs and PNGs of photo sizes and on the real photos
 * beside the checkout where they are; and the image bytes the trainer-bridge delivers to one rank,
 * each image once, with its batch.
 */
public final class ImagesBench {
  private ImagesBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args);
    Path work = Path.of(options.getOrDefault("work-dir", ".refinery/bench"));
    int count = Integer.parseInt(options.getOrDefault("images", "200"));
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));

    List<byte[]> drawn = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      // photo sizes: 640 x 480 to 1,280 x 960, half JPEG, half PNG
      int w = 640 + 32 * (i % 21);
      drawn.add(
          SampleImages.encode(SampleImages.drawing(i, w, w * 3 / 4), i % 2 == 0 ? "jpg" : "png"));
    }
    System.out.printf(Locale.ROOT, "validate + hash, one thread (best of %d rounds):%n", rounds);
    check("drawn", drawn, rounds);
    Path photos = Path.of(System.getProperty("refinery.shared.data", "../shared/data"), "images");
    if (Files.isDirectory(photos)) {
      List<byte[]> real = new ArrayList<>();
      try (Stream<Path> files = Files.list(photos)) {
        for (Path p : files.sorted().toList()) {
          String name = p.getFileName().toString();
          if ((name.endsWith(".png") || name.endsWith(".jpg")) && !name.startsWith("truncated")) {
            real.add(Files.readAllBytes(p));
          }
        }
      }
      List<byte[]> repeated = new ArrayList<>();
      for (int k = 0; k < 10; k++) {
        repeated.addAll(real);
      }
      check("real photos", repeated, rounds);
    }

    Path run = work.resolve("images-" + System.nanoTime());
    Files.createDirectories(run);
    EmbeddedKafka kafka = EmbeddedKafka.startEphemeral(run.resolve("kafka"));
    try {
      String bootstrap = kafka.bootstrapServers();
      BenchKafka.provision(bootstrap, "vision");
      // photo-like images for the bridge: drawings with noise, as JPEG (200-400 KB each)
      List<byte[]> noisy = new ArrayList<>();
      java.util.SplittableRandom noise = new java.util.SplittableRandom(7);
      for (int i = 0; i < count; i++) {
        java.awt.image.BufferedImage image = SampleImages.drawing(10_000L + i, 1024, 768);
        for (int y = 0; y < image.getHeight(); y++) {
          for (int x = 0; x < image.getWidth(); x++) {
            int rgb = image.getRGB(x, y) ^ (noise.nextInt(0x40) * 0x010101);
            image.setRGB(x, y, rgb);
          }
        }
        noisy.add(SampleImages.encode(image, "jpg"));
      }
      drawn = noisy;
      long bytes = produce(bootstrap, drawn);
      try (BridgeServer server =
              BridgeServer.start(
                  new BridgeConfig(
                      Map.of(
                          "bootstrap.servers",
                          bootstrap,
                          BridgeConfig.STREAMS,
                          "vision",
                          BridgeConfig.PORT,
                          0,
                          BridgeConfig.HTTP_PORT,
                          -1)));
          BridgeClient client =
              BridgeClient.connect(
                  new InetSocketAddress("127.0.0.1", server.port()),
                  new BridgeClient.Hello("bench", 0, 1, Map.of("vision", 1.0), 1))) {
        // the first batch waits for the image index to catch up: not counted
        long received = length(client.next());
        long t0 = System.nanoTime();
        for (int i = 1; i < drawn.size(); i++) {
          received += length(client.next());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            Locale.ROOT,
            "%nbridge to one rank (Java client, loopback): %d batches of one image each, %.1f MB of"
                + " image bytes: %.0f MB/s, %.0f images/s%n",
            drawn.size(),
            bytes / 1e6,
            (received - length0(drawn)) / seconds / 1e6,
            (drawn.size() - 1) / seconds);
      }
    } finally {
      kafka.close();
      BenchKafka.deleteRecursively(run);
    }
  }

  private static void check(String what, List<byte[]> images, int rounds) {
    ImageCheck check = new ImageCheck(ImageLimits.DEFAULT);
    long bytes = images.stream().mapToLong(b -> b.length).sum();
    double best = Double.MAX_VALUE;
    long pixels = 0;
    for (int r = 0; r < rounds; r++) {
      long t0 = System.nanoTime();
      pixels = 0;
      for (byte[] b : images) {
        ImageCheck.Outcome o = check.check(b);
        if (!o.valid()) {
          throw new IllegalStateException("a benchmark image was refused: " + o.refusal());
        }
        pixels += (long) o.image().width() * o.image().height();
      }
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    System.out.printf(
        Locale.ROOT,
        "  %-12s %4d images, %5.1f MB, %5.1f Mpx each on average: %6.0f images/s, %5.1f MB/s per core%n",
        what,
        images.size(),
        bytes / 1e6,
        pixels / 1e6 / images.size(),
        images.size() / best,
        bytes / best / 1e6);
  }

  /** One batch per image: a short document holding it, as the tokenizer writes it. */
  private static long produce(String bootstrap, List<byte[]> images) {
    Source source = BenchKafka.source("bench", "vision");
    ImageCheck check = new ImageCheck(ImageLimits.DEFAULT);
    long bytes = 0;
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "bench-images",
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Topics.LARGE_MESSAGE_BYTES,
                ProducerConfig.LINGER_MS_CONFIG,
                5),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < images.size(); i++) {
        ImageCheck.Checked c = check.check(images.get(i)).image();
        bytes += c.bytes().length;
        Image image = c.toRecord();
        producer.send(
            new ProducerRecord<>(
                Topics.CORPUS_IMAGES.name(), c.sha256(), Topics.CORPUS_IMAGES.serialize(image)));
        int seqLen = 64;
        int[] ids = new int[seqLen];
        ids[0] = 100270;
        java.util.Arrays.fill(ids, 1, 17, 100272);
        ids[17] = 100271;
        TokenBatch b =
            TokenBatch.newBuilder()
                .setBatchId(dev.refinery.schemas.Keys.batch("vision", i))
                .setStream("vision")
                .setBatchIndex(i)
                .setTokenizer("cl100k_base")
                .setDtype(TokenDType.UINT32)
                .setSeqLen(seqLen)
                .setNumSequences(1)
                .setTokens(TokenBytes.encode(ids, 0, ids.length, TokenDType.UINT32))
                .setPadToken(100257)
                .setPadding(0)
                .setSpans(
                    List.of(
                        DocumentSpan.newBuilder()
                            .setDocId("doc-" + i)
                            .setSource(source)
                            .setSequence(0)
                            .setOffset(0)
                            .setLength(seqLen)
                            .setDocOffset(0)
                            .setDocTokens(seqLen)
                            .build()))
                .setImages(
                    List.of(
                        ImagePlacement.newBuilder()
                            .setDocId("doc-" + i)
                            .setSha256(c.sha256())
                            .setIndex(0)
                            .setSequence(0)
                            .setOffset(0)
                            .setLength(18)
                            .setMediaType(c.mediaType())
                            .setWidth(c.width())
                            .setHeight(c.height())
                            .build()))
                .setCreatedAt(Instant.now())
                .build();
        producer.send(
            new ProducerRecord<>(
                Topics.tokens("vision").name(),
                b.getBatchId(),
                Topics.tokens("vision").serialize(b)));
      }
      producer.commitTransaction();
    }
    return bytes;
  }

  private static long length(BridgeClient.Batch batch) {
    long n = 0;
    for (ByteBuffer image : batch.images()) {
      if (image == null) {
        throw new IllegalStateException("an image came without its bytes: " + batch.header());
      }
      n += image.remaining();
    }
    return n;
  }

  private static long length0(List<byte[]> images) {
    return images.get(0).length;
  }
}
