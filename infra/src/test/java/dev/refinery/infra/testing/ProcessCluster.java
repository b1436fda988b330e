package dev.refinery.infra.testing;

import java.io.IOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A Kafka cluster of separate processes for failure tests: {@code n} combined KRaft broker and
 * controller nodes, each a JVM started from this test's class path ({@code kafka.Kafka
 * server.properties}), so a node can be killed with SIGKILL and started again on its data. The
 * broker's own defaults are left as a stock cluster has them ({@code default.replication.factor}
 * 1), so a test proves that Refinery sets replication itself.
 */
public final class ProcessCluster implements AutoCloseable {
  private final Path dir;
  private final List<Node> nodes = new ArrayList<>();

  private record Node(int id, int port, int controllerPort, Path config, Path log) {}

  private final Process[] processes;

  private ProcessCluster(Path dir, int n) {
    this.dir = dir;
    this.processes = new Process[n];
  }

  /** Formats and starts {@code n} nodes, and waits until all of them are in the cluster. */
  public static ProcessCluster start(Path dir, int n) throws Exception {
    ProcessCluster cluster = new ProcessCluster(dir, n);
    int[] ports = new int[n];
    int[] controllers = new int[n];
    StringBuilder voters = new StringBuilder();
    for (int i = 0; i < n; i++) {
      ports[i] = freePort();
      controllers[i] = freePort();
      voters.append(i == 0 ? "" : ",").append(i + 1).append("@localhost:").append(controllers[i]);
    }
    String clusterId = Uuid.randomUuid().toString();
    for (int i = 0; i < n; i++) {
      Path nodeDir = dir.resolve("node-" + (i + 1));
      Files.createDirectories(nodeDir.resolve("log"));
      Properties p = new Properties();
      p.put("process.roles", "broker,controller");
      p.put("node.id", Integer.toString(i + 1));
      p.put("controller.quorum.voters", voters.toString());
      p.put(
          "listeners",
          "PLAINTEXT://localhost:" + ports[i] + ",CONTROLLER://localhost:" + controllers[i]);
      p.put("advertised.listeners", "PLAINTEXT://localhost:" + ports[i]);
      p.put("controller.listener.names", "CONTROLLER");
      p.put("inter.broker.listener.name", "PLAINTEXT");
      p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      p.put("log.dirs", nodeDir.resolve("log").toString());
      p.put("offsets.topic.replication.factor", Integer.toString(Math.min(3, n)));
      p.put("transaction.state.log.replication.factor", Integer.toString(Math.min(3, n)));
      p.put("transaction.state.log.min.isr", Integer.toString(Math.max(1, Math.min(3, n) - 1)));
      p.put("auto.create.topics.enable", "false");
      p.put("group.initial.rebalance.delay.ms", "0");
      p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
      p.put("num.io.threads", "2");
      p.put("num.network.threads", "2");
      Path config = nodeDir.resolve("server.properties");
      try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
        p.store(w, "a node of ProcessCluster");
      }
      Node node = new Node(i + 1, ports[i], controllers[i], config, nodeDir.resolve("node.log"));
      cluster.nodes.add(node);
      Process format =
          java("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", config.toString())
              .redirectErrorStream(true)
              .redirectOutput(nodeDir.resolve("format.log").toFile())
              .start();
      if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
        throw new IllegalStateException(
            "cannot format node "
                + (i + 1)
                + ": "
                + Files.readString(nodeDir.resolve("format.log")));
      }
    }
    for (int i = 0; i < n; i++) {
      cluster.startNode(i + 1);
    }
    cluster.awaitNodes(n, 180);
    return cluster;
  }

  /** {@code host:port,...} of every node. */
  public String bootstrapServers() {
    return String.join(",", nodes.stream().map(n -> "localhost:" + n.port()).toList());
  }

  /** Starts node {@code id} (1-based) on its data. */
  public void startNode(int id) throws IOException {
    Node node = nodes.get(id - 1);
    processes[id - 1] =
        java("kafka.Kafka", node.config().toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(node.log().toFile()))
            .start();
  }

  /** Kills node {@code id} with SIGKILL: no shutdown, no flush. */
  public void kill(int id) throws InterruptedException {
    Process p = processes[id - 1];
    p.destroyForcibly();
    p.waitFor(30, TimeUnit.SECONDS);
  }

  /** Waits until {@code n} nodes answer as the cluster's brokers. */
  public void awaitNodes(int n, long seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
      while (true) {
        try {
          if (admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() >= n) {
            return;
          }
        } catch (Exception e) {
          // not yet
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              n + " nodes did not form a cluster in " + seconds + " s; see " + dir);
        }
        Thread.sleep(500);
      }
    }
  }

  private static ProcessBuilder java(String main, String... args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx384m");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("-Dlog4j2.level=WARN");
    command.add(main);
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    for (Process p : processes) {
      if (p != null) {
        p.destroyForcibly();
      }
    }
    for (Process p : processes) {
      if (p != null) {
        try {
          p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
