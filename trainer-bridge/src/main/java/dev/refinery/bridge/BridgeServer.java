package dev.refinery.bridge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.runtime.http.Health;
import dev.refinery.runtime.http.HttpServer;
import dev.refinery.runtime.http.Metrics;
import dev.refinery.runtime.service.Service;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer-bridge: a sidecar on a training node that the node's ranks connect to over loopback
 * TCP or a Unix domain socket ({@link Frames}). Each connection is one rank of one run, with its
 * own plan ({@link RankPlan}) and its own bounded fetch ({@link RankFeed}); checkpoints come back
 * as cursors and, from rank 0, as {@code DataCheckpoint} records on {@code trainer.checkpoints.v1};
 * trainer metrics go to {@code trainer.metrics.v1}.
 */
public final class BridgeServer implements Service {
  private static final Logger LOG = LoggerFactory.getLogger(BridgeServer.class);

  private final BridgeConfig config;
  private final PrometheusMeterRegistry registry;
  private final KafkaProducer<String, byte[]> producer;
  private final PoisonRecords poison;
  private final TakedownFollower takedowns;
  private dev.refinery.runtime.images.KafkaImageStore images;
  private final List<ServerSocketChannel> listeners = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger sessions = new AtomicInteger();
  private final AtomicInteger connectionCount = new AtomicInteger();
  private final HttpServer http;
  private final Counter badFrames;
  private final int port;
  private final Path socket;
  private volatile boolean closed;

  private BridgeServer(BridgeConfig config) throws IOException {
    this.config = config;
    this.registry = Metrics.registry();
    registry.gauge("refinery_bridge_ranks_connected", sessions);
    this.badFrames = registry.counter("refinery_bridge_bad_frames");
    this.producer =
        new KafkaProducer<>(
            config
                .kafka()
                .producer(
                    // linger is tuning, a kafka.producer.linger.ms wins
                    Map.of(ProducerConfig.LINGER_MS_CONFIG, 20),
                    Map.of(
                        ProducerConfig.CLIENT_ID_CONFIG,
                        config.clientId() + "-out",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.ACKS_CONFIG,
                        "all")),
            new StringSerializer(),
            new ByteArraySerializer());
    this.poison =
        new PoisonRecords(
            producer, config.rejectedMaxBytes(), registry, java.time.Clock.systemUTC());
    this.takedowns = new TakedownFollower(config.kafka());
    try {
      int bound = -1;
      if (config.port() >= 0) {
        ServerSocketChannel tcp = ServerSocketChannel.open();
        tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), config.port()));
        listeners.add(tcp);
        bound = ((InetSocketAddress) tcp.getLocalAddress()).getPort();
      }
      this.port = bound;
      if (!config.socket().isBlank()) {
        this.socket = Path.of(config.socket()).toAbsolutePath();
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket);
        ServerSocketChannel uds = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        uds.bind(UnixDomainSocketAddress.of(socket));
        listeners.add(uds);
      } else {
        this.socket = null;
      }
      if (listeners.isEmpty()) {
        throw new IllegalArgumentException(
            "the bridge listens nowhere: set " + BridgeConfig.PORT + " or " + BridgeConfig.SOCKET);
      }
      this.http =
          config.httpPort() < 0
              ? null
              : HttpServer.builder("bridge", config.http())
                  .get(
                      "/v1/rm-pairs",
                      config.tokens().require("pairs"),
                      new RewardPairsEndpoint(SharedPairs.of(config.kafka()))::serve)
                  .metrics(registry, this::health)
                  .start();
    } catch (IOException | RuntimeException e) {
      closeQuietly();
      takedowns.close();
      producer.close();
      throw e;
    }
  }

  /** The image store, started on first use: a deployment without images never reads their topic. */
  private synchronized dev.refinery.runtime.images.ImageStore images() {
    if (images == null && !closed) {
      images =
          new dev.refinery.runtime.images.KafkaImageStore(
              config.kafka(), config.clientId(), config.imageStoreCacheBytes());
    }
    return images;
  }

  /** Starts listening; ranks may connect when this returns. */
  public static BridgeServer start(BridgeConfig config) throws IOException {
    BridgeServer server = new BridgeServer(config);
    for (ServerSocketChannel listener : server.listeners) {
      Thread t = new Thread(() -> server.accept(listener), "bridge-accept");
      t.setDaemon(true);
      t.start();
      server.threads.add(t);
    }
    return server;
  }

  /** The loopback TCP port, or -1 if none. */
  public int port() {
    return port;
  }

  /** The Unix domain socket, or null if none. */
  public Path socket() {
    return socket;
  }

  /** The port of /metrics and /health, or -1 if none. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public String name() {
    return "trainer-bridge";
  }

  @Override
  public boolean ready() {
    return !closed;
  }

  @Override
  public Health health() {
    return new Health(
        !closed,
        Map.of(
            "ranks", sessions.get(),
            "takedowns_read", takedowns.caughtUp(),
            "takedowns_in_force", takedowns.size()));
  }

  @Override
  public Map<String, java.net.URI> endpoints() {
    Map<String, java.net.URI> endpoints = new java.util.LinkedHashMap<>();
    if (port >= 0) {
      endpoints.put("ranks", java.net.URI.create("tcp://127.0.0.1:" + port));
    }
    if (socket != null) {
      endpoints.put("socket", socket.toUri());
    }
    if (http != null) {
      endpoints.put("http", http.uri());
    }
    return endpoints;
  }

  private void accept(ServerSocketChannel listener) {
    while (!closed) {
      try {
        SocketChannel channel = listener.accept();
        if (channel.getRemoteAddress() instanceof InetSocketAddress) {
          channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
        }
        connections.add(channel);
        Thread t =
            new Thread(
                () -> serve(channel), "bridge-connection-" + connectionCount.incrementAndGet());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("accepting a connection failed: {}", e.getMessage());
        }
      }
    }
  }

  private void serve(SocketChannel channel) {
    RankSession session = null;
    try {
      Frames.Frame hello = Frames.read(channel, Frames.MAX_INBOUND_BODY);
      if (hello.type() != Frames.HELLO) {
        throw new Frames.ProtocolException(
            "the first frame must be HELLO (1), not " + hello.type());
      }
      session =
          new RankSession(
              config,
              producer,
              poison,
              takedowns,
              this::images,
              registry,
              () -> closed,
              hello.header());
      sessions.incrementAndGet();
      Frames.write(channel, Frames.WELCOME, session.welcome(), null);
      while (!closed) {
        Frames.Frame frame;
        try {
          frame = Frames.read(channel, Frames.MAX_INBOUND_BODY);
        } catch (EOFException e) {
          return;
        }
        switch (frame.type()) {
          case Frames.NEXT -> session.next(channel, frame.header());
          case Frames.CHECKPOINT -> session.checkpoint(channel, frame.header());
          case Frames.METRICS -> session.metrics(frame.header());
          default ->
              throw new Frames.ProtocolException(
                  "unknown frame type " + frame.type() + " (NEXT 3, CHECKPOINT 6, METRICS 8)");
        }
      }
    } catch (Frames.ProtocolException | IllegalArgumentException | RankFeed.GoneException e) {
      badFrames.increment();
      LOG.warn("closing a rank's connection: {}", e.getMessage());
      error(channel, e.getMessage());
    } catch (IOException e) {
      if (!closed) {
        LOG.info("a rank's connection ended: {}", e.getMessage());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("serving a rank failed", e);
      error(channel, "the bridge failed: " + e);
    } finally {
      connections.remove(channel);
      try {
        channel.close();
      } catch (IOException ignored) {
        // the rank is gone
      }
      if (session != null) {
        sessions.decrementAndGet();
        session.close();
      }
    }
  }

  private static void error(SocketChannel channel, String message) {
    try {
      ObjectNode h = Frames.object();
      h.put("error", message);
      Frames.write(channel, Frames.ERROR, h, null);
    } catch (IOException ignored) {
      // the rank is gone
    }
  }

  /** The key of a run's checkpoint at a step: {@code <run>/<step, 12 digits>}. */
  public static String checkpointKey(String runId, long step) {
    return dev.refinery.schemas.Keys.checkpoint(runId, step);
  }

  private void closeQuietly() {
    for (ServerSocketChannel l : listeners) {
      try {
        l.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    if (socket != null) {
      try {
        Files.deleteIfExists(socket);
      } catch (IOException ignored) {
        // closing
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly();
    for (SocketChannel c : connections) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    if (http != null) {
      http.close();
    }
    takedowns.close();
    synchronized (this) {
      if (images != null) {
        images.close();
      }
    }
    producer.close();
  }
}
