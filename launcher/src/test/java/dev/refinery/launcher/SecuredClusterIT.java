package dev.refinery.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.bridge.BridgeClient;
import dev.refinery.bridge.BridgeServer;
import dev.refinery.dedup.DedupFilterService;
import dev.refinery.infra.BrokerConfig;
import dev.refinery.infra.EmbeddedKafka;
import dev.refinery.infra.StageAcls;
import dev.refinery.infra.TopicProvisioner;
import dev.refinery.infra.text.SyntheticText;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.IngestReport;
import dev.refinery.ingest.Ingestor;
import dev.refinery.runtime.audit.PipelineAudit;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import dev.refinery.tokenizer.TokenizerJob;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline on a secured cluster: a broker whose clients must speak SASL_SSL (a certificate made
 * here, SCRAM-SHA-512 users) and whose authorizer denies what no ACL allows. Each stage runs as its
 * own principal with exactly the rights {@link StageAcls} gives it, configured only through {@code
 * kafka.*} settings; documents go from ingest to a batch a rank reads through the bridge, and the
 * audit (as a reader principal) finds each once. A client with a wrong password fails at once with
 * an error that says so.
 */
class SecuredClusterIT {
  private static final String PASSWORD = "changeit";
  @TempDir Path dir;

  @Test
  void eachStageRunsAsItsOwnPrincipalOverSaslSslWithLeastPrivilege() throws Exception {
    Path keystore = dir.resolve("broker.p12");
    Path truststore = dir.resolve("truststore.p12");
    certificates(keystore, truststore);
    int securePort = freePort();
    Map<String, String> broker = new HashMap<>();
    broker.put("listeners", "SASL_SSL://localhost:" + securePort);
    broker.put("advertised.listeners", "SASL_SSL://localhost:" + securePort);
    broker.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL");
    broker.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
    broker.put(
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    broker.put("ssl.keystore.location", keystore.toString());
    broker.put("ssl.keystore.password", PASSWORD);
    broker.put("ssl.keystore.type", "PKCS12");
    broker.put("ssl.key.password", PASSWORD);
    broker.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    broker.put("super.users", "User:ANONYMOUS");

    try (EmbeddedKafka kafka =
            EmbeddedKafka.start(
                new BrokerConfig(
                    Map.of(
                        BrokerConfig.PORT,
                        0,
                        BrokerConfig.DATA_DIR,
                        dir.resolve("kafka").toString())),
                broker);
        Admin admin = kafka.admin()) {
      // the operator's part, on the broker's own listener: users, topics, ACLs
      List<String> users = List.of("ingest", "dedup", "tokenizer", "bridge", "auditor");
      List<UserScramCredentialUpsertion> credentials = new ArrayList<>();
      for (String user : users) {
        credentials.add(
            new UserScramCredentialUpsertion(
                user,
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
                user + "-secret"));
      }
      admin.alterUserScramCredentials(new ArrayList<>(credentials)).all().get(30, TimeUnit.SECONDS);
      List<TopicBinding<?, ?>> topics = new ArrayList<>(Topics.fixed());
      topics.add(Topics.tokens("web"));
      new TopicProvisioner(admin).provision(topics);
      List<AclBinding> acls = new ArrayList<>();
      acls.addAll(StageAcls.of(StageAcls.Stage.INGEST, "User:ingest", null));
      acls.addAll(StageAcls.of(StageAcls.Stage.DEDUP_FILTER, "User:dedup", null));
      acls.addAll(StageAcls.of(StageAcls.Stage.TOKENIZER, "User:tokenizer", null));
      acls.addAll(StageAcls.of(StageAcls.Stage.TRAINER_BRIDGE, "User:bridge", null));
      acls.addAll(StageAcls.of(StageAcls.Stage.AUDITOR, "User:auditor", null));
      admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);

      String secure = "localhost:" + securePort;
      Path data = dir.resolve("docs.jsonl");
      writeDocuments(data, 40);
      try (DedupFilterService dedup = DedupFilterService.start(settings("dedup", secure).dedup())) {
        dedup.awaitRunning(java.time.Duration.ofSeconds(60));
        JobClient tokenizer =
            TokenizerJob.onKafka(settings("tokenizer", secure).tokenizer()).startLocal();
        try {
          Settings ingestSettings = settings("ingest", secure);
          List<IngestReport> reports;
          try (Ingestor ingestor =
              Ingestor.create(
                  ingestSettings.ingest(), "refinery-ingest-secure", IngestMetrics.inMemory())) {
            reports = List.of(ingestor.ingest(data, ingestSettings.sources().get("secure")));
          }
          assertThat(reports.get(0).documents()).isEqualTo(40);

          // the audit reads every topic as its own principal, read_committed
          PipelineAudit audit =
              PipelineAudit.read(settings("auditor", secure).kafka(), List.of("web"));
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
          while (!audit.drained() || audit.documents().size() < 40) {
            assertThat(System.nanoTime())
                .as("drained in time: %s", audit.inFlight())
                .isLessThan(deadline);
            Thread.sleep(500);
            audit = PipelineAudit.read(settings("auditor", secure).kafka(), List.of("web"));
          }
          assertThat(audit.violations()).isEmpty();
          assertThat(audit.accountedFor()).isEqualTo(40);

          // a rank reads a batch through the bridge, which reads as the bridge's principal
          try (BridgeServer bridge = BridgeServer.start(settings("bridge", secure).bridge());
              BridgeClient rank =
                  BridgeClient.connect(
                      new InetSocketAddress("127.0.0.1", bridge.port()),
                      new BridgeClient.Hello("secure-run", 0, 1, Map.of("web", 1.0), 7))) {
            BridgeClient.Batch batch = rank.next();
            assertThat(batch.error()).isNull();
            assertThat(batch.batchId()).isEqualTo("web-000000000000");
          }
        } finally {
          tokenizer.cancel().get(30, TimeUnit.SECONDS);
        }
      }

      // a wrong password fails at once, saying why
      Settings wrong =
          new Settings(
              dir.resolve("wrong"),
              null,
              Map.of(),
              clientSettings("ingest", "not-the-password", secure));
      long t0 = System.nanoTime();
      assertThatThrownBy(
              () ->
                  Ingestor.create(
                      wrong.ingest(), "refinery-ingest-wrong", IngestMetrics.inMemory()))
          .satisfies(e -> assertThat(causes(e)).containsIgnoringCase("authentication failed"));
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0))
          .as("failed fast, not after the client's timeouts")
          .isLessThan(60);
    }
  }

  private Settings settings(String user, String bootstrap) {
    return new Settings(
        dir.resolve(user), null, Map.of(), clientSettings(user, user + "-secret", bootstrap));
  }

  private Map<String, String> clientSettings(String user, String password, String bootstrap) {
    Map<String, String> s = new HashMap<>();
    s.put("bootstrap.servers", bootstrap);
    s.put("kafka.security.protocol", "SASL_SSL");
    s.put("kafka.sasl.mechanism", "SCRAM-SHA-512");
    s.put(
        "kafka.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
            + user
            + "\" password=\""
            + password
            + "\";");
    s.put("kafka.ssl.truststore.location", dir.resolve("truststore.p12").toString());
    s.put("kafka.ssl.truststore.password", PASSWORD);
    s.put("kafka.ssl.truststore.type", "PKCS12");
    s.put("sources.secure.kind", "public_web");
    s.put("sources.secure.licence", "CC0-1.0");
    s.put("sources.secure.stream", "web");
    s.put("tokenizer.streams", "web");
    s.put("tokenizer.seq.len", "256");
    s.put("tokenizer.batch.sequences", "2");
    s.put("tokenizer.flush.idle.ms", "500");
    s.put("tokenizer.checkpoint.interval.ms", "500");
    s.put("tokenizer.metrics.port", "-1");
    s.put("dedup.http.port", "-1");
    s.put("dedup.hold.ms", "200");
    s.put("bridge.port", "0");
    s.put("bridge.http.port", "-1");
    s.put("bridge.streams", "web");
    return s;
  }

  private static String causes(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t).append(" | ");
    }
    return all.toString();
  }

  private static void writeDocuments(Path file, int n) throws IOException {
    ObjectMapper json = new ObjectMapper();
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < n; i++) {
      lines
          .append(
              json.writeValueAsString(
                  Map.of("id", "s-" + i, "text", SyntheticText.text(500 + i, 6))))
          .append('\n');
    }
    Files.writeString(file, lines);
  }

  /** A self-signed certificate for localhost, and a truststore that trusts it, made by keytool. */
  private static void certificates(Path keystore, Path truststore) throws Exception {
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    run(
        keytool,
        "-genkeypair",
        "-alias",
        "broker",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=localhost",
        "-ext",
        "SAN=dns:localhost,ip:127.0.0.1",
        "-validity",
        "2",
        "-storetype",
        "PKCS12",
        "-keystore",
        keystore.toString(),
        "-storepass",
        PASSWORD,
        "-keypass",
        PASSWORD);
    Path cert = keystore.resolveSibling("broker.crt");
    run(
        keytool,
        "-exportcert",
        "-alias",
        "broker",
        "-keystore",
        keystore.toString(),
        "-storepass",
        PASSWORD,
        "-file",
        cert.toString());
    run(
        keytool,
        "-importcert",
        "-noprompt",
        "-alias",
        "broker",
        "-file",
        cert.toString(),
        "-storetype",
        "PKCS12",
        "-keystore",
        truststore.toString(),
        "-storepass",
        PASSWORD);
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(String.join(" ", command) + "\n" + out).isZero();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
