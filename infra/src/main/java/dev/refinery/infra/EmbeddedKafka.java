package dev.refinery.infra;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka broker in this JVM: one combined KRaft broker and controller node, from the Kafka
 * artifacts on Maven Central, no Docker. It serves the {@code refinery} launcher's local default
 * and the integration tests.
 *
 * <p>The storage is formatted on first start and reused afterwards, so topics and their records
 * survive a restart on the same data folder.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start(new BrokerConfig(Map.of("broker.port", 0,
 *     "broker.data.dir", dir.toString())))) {
 *   String bootstrap = kafka.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int NODE_ID = 1;

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final Path dataDir;
  private boolean closed;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, Path dataDir) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.dataDir = dataDir;
  }

  /** An embedded broker on a free port with its data in {@code dataDir}: what tests want. */
  public static EmbeddedKafka startEphemeral(Path dataDir) {
    return start(
        new BrokerConfig(Map.of(BrokerConfig.PORT, 0, BrokerConfig.DATA_DIR, dataDir.toString())));
  }

  /**
   * Formats the storage if needed, starts the node and waits until it answers clients.
   *
   * @throws IllegalStateException if the port is taken or the broker does not come up
   */
  public static EmbeddedKafka start(BrokerConfig config) {
    return start(config, Map.of());
  }

  /**
   * As {@link #start(BrokerConfig)}, with broker properties of the caller's over the defaults:
   * another listener (SASL_SSL, say), an authorizer, quotas. {@code listeners}, {@code
   * advertised.listeners} and {@code listener.security.protocol.map} are added to the broker's own,
   * so the PLAINTEXT listener of {@link #bootstrapServers()} stays, for the caller's own
   * administration (its principal is {@code User:ANONYMOUS}).
   */
  public static EmbeddedKafka start(BrokerConfig config, Map<String, String> brokerProperties) {
    long started = System.nanoTime();
    String host = config.host();
    int port = config.port() == 0 ? freePort(host) : requireFree(host, config.port());
    int controllerPort =
        config.controllerPort() == 0 ? freePort(host) : requireFree(host, config.controllerPort());
    Path dataDir = config.dataDir().toAbsolutePath();
    Path logDir = dataDir.resolve("log");
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create broker data folder " + dataDir, e);
    }

    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(NODE_ID));
    props.put("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
    props.put(
        "listeners",
        "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://" + host + ":" + port);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("log.dirs", logDir.toString());
    // One node: every internal topic has one replica.
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("default.replication.factor", "1");
    props.put("min.insync.replicas", "1");
    // Topics come from the catalog; a misspelt topic name must fail, not appear.
    props.put("auto.create.topics.enable", "false");
    props.put("group.initial.rebalance.delay.ms", "0");
    // The default 128 MiB dedupe buffer is far too much for a laptop broker.
    props.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
    props.put("log.cleaner.threads", "1");
    props.put("num.io.threads", "2");
    props.put("num.network.threads", "2");
    props.put("num.recovery.threads.per.data.dir", "1");
    brokerProperties.forEach(
        (key, value) -> {
          if (key.equals("listeners")
              || key.equals("advertised.listeners")
              || key.equals("listener.security.protocol.map")) {
            props.put(key, props.getProperty(key) + "," + value);
          } else {
            props.put(key, value);
          }
        });

    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(dataDir, props);
    }
    KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    server.startup();
    String bootstrap = host + ":" + port;
    EmbeddedKafka kafka = new EmbeddedKafka(server, bootstrap, dataDir);
    try {
      kafka.awaitReady(Duration.ofSeconds(60));
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
    LOG.info(
        "Kafka broker (KRaft) listening on {} with data in {}, up in {} ms",
        bootstrap,
        dataDir,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    return kafka;
  }

  /** {@code host:port} for clients. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** An admin client on this broker; the caller closes it. */
  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.shutdown();
    server.awaitShutdown();
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000))) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (Exception e) {
          if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "the embedded broker did not answer on "
                    + bootstrapServers
                    + " within "
                    + timeout.toSeconds()
                    + " s",
                e);
          }
        }
        sleep(100);
      }
    }
  }

  /** Formats the KRaft storage; done once, a formatted folder is reused as it is. */
  private static void format(Path dataDir, Properties props) {
    Path config = dataDir.resolve("server.properties");
    try (Writer writer = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
      props.store(writer, "written by refinery's embedded broker on every start");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + config, e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status;
    try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      status =
          StorageTool.execute(
              new String[] {
                "format",
                "--cluster-id",
                Uuid.randomUuid().toString(),
                "--config",
                config.toString()
              },
              print);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot format Kafka storage in "
              + dataDir
              + ": "
              + e.getMessage()
              + "; delete the folder to start afresh",
          e);
    }
    if (status != 0) {
      throw new IllegalStateException(
          "formatting Kafka storage in "
              + dataDir
              + " failed ("
              + status
              + "): "
              + out.toString(StandardCharsets.UTF_8));
    }
  }

  static int freePort(String host) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + host, e);
    }
  }

  private static int requireFree(String host, int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, port));
      return port;
    } catch (IOException e) {
      throw new IllegalStateException(
          "port "
              + port
              + " on "
              + host
              + " is taken ("
              + e.getMessage()
              + "): stop what listens there, set "
              + BrokerConfig.PORT
              + "=0 for any free port, "
              + "or use a running cluster with --bootstrap-servers",
          e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
