package dev.refinery.runtime.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();
  private final AtomicBoolean up = new AtomicBoolean(true);
  private HttpServer server;

  @BeforeEach
  void start() {
    HttpSettings settings =
        new HttpSettings(
            HttpSettings.LOOPBACK, 0, 100, Duration.ofSeconds(30), Duration.ofSeconds(2), 4);
    server =
        HttpServer.builder("test", settings)
            .get("/v1/things/{id}", ex -> ex.json(200, Map.of("id", ex.pathParameter("id"))))
            .post(
                "/v1/things/{id}",
                ex -> ex.json(200, Map.of("id", ex.pathParameter("id"), "body", ex.json())))
            .post(
                "/v1/guarded",
                ex -> {
                  if (!"Bearer good".equals(ex.header("Authorization"))) {
                    throw new HttpError(401, "Authorization", "unknown token");
                  }
                },
                ex -> ex.json(200, Map.of("bytes", ex.body().length)))
            .post("/v1/large", 1000, ex -> ex.json(200, Map.of("bytes", ex.body().length)))
            .post(
                "/v1/digest",
                4 << 20,
                ex -> ex.json(200, Map.of("bytes", ex.body().length, "sha256", sha256(ex.body()))))
            .get("/v1/query", ex -> ex.json(200, ex.query()))
            .get(
                "/v1/refuse",
                ex -> {
                  throw HttpError.unprocessable("a.b[0]", "not acceptable");
                })
            .get(
                "/v1/bug",
                ex -> {
                  throw new IllegalStateException("a bug");
                })
            .get("/v1/nothing", ex -> {})
            .get(
                "/v1/stream",
                ex ->
                    ex.stream(200, "application/x-ndjson", out -> out.write("{}\n{}\n".getBytes())))
            .metrics(registry(), () -> new Health(up.get(), Map.of("detail", 1)))
            .start();
  }

  private static io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry() {
    var registry = Metrics.registry();
    registry.counter("refinery.test.requests").increment();
    return registry;
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(server.uri().resolve(path)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return post(server.uri(), path, body);
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    return JSON.readTree(response.body());
  }

  @Test
  void routesExactlyWithPathParameters() throws Exception {
    assertThat(json(get("/v1/things/42")).get("id").asText()).isEqualTo("42");
    HttpResponse<String> posted = post("/v1/things/7", "{\"a\":1}");
    assertThat(posted.statusCode()).isEqualTo(200);
    assertThat(json(posted).get("body").get("a").asInt()).isEqualTo(1);
    // no prefix matching: a longer or shorter path is not the route
    assertThat(get("/v1/things/42/more").statusCode()).isEqualTo(404);
    assertThat(get("/v1/things").statusCode()).isEqualTo(404);
    assertThat(get("/v1/things/").statusCode()).isEqualTo(404);
    assertThat(get("/health.html").statusCode()).isEqualTo(404);
    assertThat(json(get("/v1/query?a=1&b=x%20y")).get("b").asText()).isEqualTo("x y");
  }

  @Test
  void everyRefusalIsJsonWithErrorAndField() throws Exception {
    HttpResponse<String> unknown = get("/nowhere");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown).get("error").asText()).contains("/nowhere");

    HttpResponse<String> method =
        client.send(
            HttpRequest.newBuilder(server.uri().resolve("/v1/query")).DELETE().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(method.statusCode()).isEqualTo(405);
    assertThat(method.headers().firstValue("Allow")).hasValue("GET");
    assertThat(json(method).has("error")).isTrue();

    HttpResponse<String> refused = get("/v1/refuse");
    assertThat(refused.statusCode()).isEqualTo(422);
    assertThat(json(refused).get("field").asText()).isEqualTo("a.b[0]");
    assertThat(json(refused).get("error").asText()).isEqualTo("not acceptable");

    HttpResponse<String> bug = get("/v1/bug");
    assertThat(bug.statusCode()).isEqualTo(500);
    assertThat(json(bug).get("error").asText()).contains("a bug");

    HttpResponse<String> notJson = post("/v1/things/1", "{not json");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(json(notJson).get("error").asText()).contains("not JSON");

    assertThat(post("/v1/things/1", "").statusCode()).isEqualTo(400);
    // one JSON value: lines of JSON objects are not taken as their first
    HttpResponse<String> twoValues = post("/v1/things/1", "{\"a\": 1}\n{\"b\": 2}");
    assertThat(twoValues.statusCode()).isEqualTo(400);
    assertThat(json(twoValues).get("error").asText()).contains("more after its JSON value");
    assertThat(get("/v1/nothing").statusCode()).isEqualTo(204);
  }

  @Test
  void bodiesOverTheLimitAreRefusedWith413() throws Exception {
    assertThat(post("/v1/things/1", "[" + "1,".repeat(60) + "1]").statusCode()).isEqualTo(413);
    // a route may take more than the server's default
    HttpResponse<String> large = post("/v1/large", "x".repeat(900));
    assertThat(json(large).get("bytes").asInt()).isEqualTo(900);
    assertThat(post("/v1/large", "x".repeat(1001)).statusCode()).isEqualTo(413);
  }

  @Test
  void aClientStillSendingABodyTooLargeGetsIts413NotAReset() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(20_000);
      var out = socket.getOutputStream();
      out.write(
          "POST /v1/large HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      // the body follows in pieces, as a client on a real network sends it; the server has
      // refused it already, and must still be there to take it and answer
      byte[] piece = new byte[7000];
      java.util.Arrays.fill(piece, (byte) ' ');
      for (int i = 0; i < 10; i++) {
        out.write(piece);
        out.flush();
        Thread.sleep(20);
      }
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(answer).startsWith("HTTP/1.1 413");
      assertThat(answer.toLowerCase(java.util.Locale.ROOT)).contains("connection: close");
    }
  }

  @Test
  void aBodyOfUndeclaredLengthOverTheLimitIs413Too() throws Exception {
    HttpResponse<String> response = postUndeclared(server.uri(), "/v1/things/1", 5000);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
  }

  @Test
  void bodiesArriveWholeWithOrWithoutADeclaredLengthUpToTheLimitExactly() throws Exception {
    byte[] body = new byte[1_000_003]; // more than many network buffers, and than a first array
    new java.util.Random(7).nextBytes(body);
    String digest = sha256(body);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.uri().resolve("/v1/digest")).header("Authorization", "x");
    HttpResponse<String> declared =
        client.send(
            request.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> chunked =
        client.send(
            request
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(body)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    for (HttpResponse<String> response : List.of(declared, chunked)) {
      assertThat(json(response).get("bytes").asInt()).isEqualTo(body.length);
      assertThat(json(response).get("sha256").asText()).isEqualTo(digest);
    }
    assertThat(postUndeclared(server.uri(), "/v1/large", 1000).statusCode()).isEqualTo(200);
    assertThat(postUndeclared(server.uri(), "/v1/large", 1001).statusCode()).isEqualTo(413);
  }

  @Test
  void aBodyIsCopiedOutOfTheNetworkBuffersAsItArrivesAndTheyAreNotHeldAfter() throws Exception {
    byte[] body = new byte[3 << 20];
    java.util.Arrays.fill(body, (byte) 'x');
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> response = postBytes(client, server.uri().resolve("/v1/digest"), body);
      assertThat(json(response).get("bytes").asInt()).isEqualTo(body.length);
    }
    // the buffers one connection reads through, not the bodies: Jetty's own read kept every
    // buffer of a body until its end, and its pool kept them after, up to its bound
    assertThat(server.pooledBytes()).isLessThan(1 << 20);
  }

  @Test
  void brokenBodiesAreRefusedOrDroppedAndTheServerGoesOn() throws Exception {
    // a chunk size that is no number
    String answer =
        raw(
            server,
            "POST /v1/large HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "zz\r\nabc\r\n0\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 400");
    // a body that stops short of its declared length: the client is gone, nobody to answer
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket
          .getOutputStream()
          .write(
              "POST /v1/large HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\nabc"
                  .getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      awaitHeld(server::openBodiesHeld, 900);
    }
    awaitHeld(server::openBodiesHeld, 0); // its room is given back
    assertThat(json(post("/v1/large", "x".repeat(900))).get("bytes").asInt()).isEqualTo(900);
  }

  @Test
  void aGuardRefusesBeforeTheBodyIsRead() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(20_000);
      // the body is declared but never sent: the refusal cannot have waited for it
      socket
          .getOutputStream()
          .write(
              ("POST /v1/guarded HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer bad\r\n"
                      + "Content-Length: 50\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      byte[] head = socket.getInputStream().readNBytes(12);
      assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 401");
      // the unread body ends the connection: the answer must say so, or a pooling client sends
      // its next request on a closed connection and gets no answer at all
      String rest = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(rest.toLowerCase(java.util.Locale.ROOT)).contains("connection: close");
    }
    HttpResponse<String> good =
        client.send(
            HttpRequest.newBuilder(server.uri().resolve("/v1/guarded"))
                .header("Authorization", "Bearer good")
                .POST(HttpRequest.BodyPublishers.ofString("12345"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(json(good).get("bytes").asInt()).isEqualTo(5);
  }

  /** The token of the routes a budget server guards. */
  private static final Guard TOKEN =
      ex -> {
        if (!"Bearer good".equals(ex.header("Authorization"))) {
          throw new HttpError(401, "Authorization", "unknown token");
        }
      };

  /**
   * A server of 100-byte bodies (1,000 on /v1/large) holding 1,500 bytes of them at once behind its
   * token, and a quarter of that for /v1/open, which takes none.
   */
  private HttpServer budgetServer(Duration requestTimeout, Handler blocking) {
    HttpSettings settings =
        new HttpSettings(
            HttpSettings.LOOPBACK,
            0,
            100,
            Duration.ofSeconds(30),
            requestTimeout,
            4,
            1500,
            "svc.",
            null,
            null);
    return HttpServer.builder("budget", settings)
        .post("/v1/small", TOKEN, ex -> ex.json(200, Map.of("bytes", ex.body().length)))
        .post("/v1/large", 1000, TOKEN, ex -> ex.json(200, Map.of("bytes", ex.body().length)))
        .post("/v1/blocking", 1000, TOKEN, blocking)
        .post("/v1/open", ex -> ex.json(200, Map.of("bytes", ex.body().length)))
        .metrics(registry(), () -> new Health(true, Map.of()))
        .start();
  }

  @Test
  void bodiesPastTheBudgetWaitInLineUnreadAndTheBudgetComesBack() throws Exception {
    try (HttpServer budget = budgetServer(Duration.ofSeconds(30), ex -> {})) {
      URI base = budget.uri();
      try (Socket slow = new Socket(InetAddress.getLoopbackAddress(), budget.port())) {
        slow.setSoTimeout(20_000);
        OutputStream out = slow.getOutputStream();
        // 1,000 bytes declared, 10 sent: the server holds the share while the rest comes
        out.write(
            ("POST /v1/large HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\n"
                    + "Content-Length: 1000\r\n\r\n0123456789")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        awaitHeld(budget, 1000);

        // what fits beside it is served; a body of undeclared length counts its route's limit
        assertThat(json(post(base, "/v1/small", "x".repeat(100))).get("bytes").asInt())
            .isEqualTo(100);
        assertThat(postUndeclared(base, "/v1/small", 10).statusCode()).isEqualTo(200);
        // a request without a body holds nothing, though it declares no length (curl's GET)
        assertThat(rawGet(budget, "/metrics"))
            .startsWith("HTTP/1.1 200")
            .contains("refinery_http_bodies_bytes{server=\"budget\"} 1000.0");

        // 900 more would pass 1,500: it waits, unread, and so does a small one behind it
        var waiting = postAsync(base, "/v1/large", "x".repeat(900));
        awaitWaiting(budget, 1);
        var behind = postAsync(base, "/v1/small", "x".repeat(50));
        awaitWaiting(budget, 2);
        assertThat(rawGet(budget, "/metrics"))
            .contains("refinery_http_bodies_waiting{server=\"budget\"} 2.0");
        assertThat(waiting).isNotDone();

        out.write(new byte[990]);
        out.flush();
        assertThat(readAnswer(slow.getInputStream()))
            .startsWith("HTTP/1.1 200")
            .contains("\"bytes\":1000");
        // its share given back, the two in line are read and served, in turn
        assertThat(json(waiting.get(20, TimeUnit.SECONDS)).get("bytes").asInt()).isEqualTo(900);
        assertThat(json(behind.get(20, TimeUnit.SECONDS)).get("bytes").asInt()).isEqualTo(50);
      }
      // given back before each answer was sent: the next request finds it free
      assertThat(budget.bodiesHeld()).isZero();
      assertThat(json(post(base, "/v1/large", "x".repeat(1000))).get("bytes").asInt())
          .isEqualTo(1000);
      // a body found too long as it is read gives it back too
      assertThat(postUndeclared(base, "/v1/small", 101).statusCode()).isEqualTo(413);
      assertThat(budget.bodiesHeld()).isZero();
      assertThat(budget.bodiesWaiting()).isZero();
    }
  }

  @Test
  void aBodyThatWaitedInLineIsLetGoOnceAnswered() throws Exception {
    CountDownLatch handling = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<java.lang.ref.WeakReference<byte[]>> bodies =
        Collections.synchronizedList(new ArrayList<>());
    Handler blocking =
        ex -> {
          bodies.add(new java.lang.ref.WeakReference<>(ex.body()));
          handling.countDown();
          release.await();
          ex.json(200, Map.of("bytes", ex.body().length));
        };
    // a request timeout far longer than the test: what waits for it holds nothing of a request
    try (HttpServer budget = budgetServer(Duration.ofMinutes(10), blocking)) {
      var holder = postAsync(budget.uri(), "/v1/blocking", "x".repeat(1000));
      assertThat(handling.await(20, TimeUnit.SECONDS)).isTrue();
      var waited = postAsync(budget.uri(), "/v1/blocking", "x".repeat(900));
      awaitWaiting(budget, 1);
      release.countDown();
      assertThat(json(holder.get(20, TimeUnit.SECONDS)).get("bytes").asInt()).isEqualTo(1000);
      assertThat(json(waited.get(20, TimeUnit.SECONDS)).get("bytes").asInt()).isEqualTo(900);
      // the waited one's timeout, still scheduled, held its request and body until it fired
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (bodies.stream().anyMatch(b -> b.get() != null)) {
        assertThat(System.nanoTime()).as("a body is still reachable").isLessThan(deadline);
        System.gc();
        Thread.sleep(50);
      }
      assertThat(bodies).hasSize(2);
    }
  }

  @Test
  void bodiesWithoutATokenHaveRoomOfTheirOwnAndNeverKeepOnesWithATokenWaiting() throws Exception {
    try (HttpServer budget = budgetServer(Duration.ofSeconds(30), ex -> {})) {
      URI base = budget.uri();
      List<Socket> slow = new ArrayList<>();
      try {
        // clients without a token send chunked bodies, slowly, to the route that takes none (and
        // to a GET): each counts the server's 100-byte limit against a room of 375
        for (String head : new String[] {"POST /v1/open", "POST /v1/open", "GET /health"}) {
          Socket socket = new Socket(InetAddress.getLoopbackAddress(), budget.port());
          socket
              .getOutputStream()
              .write(
                  (head + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n")
                      .getBytes(StandardCharsets.US_ASCII));
          slow.add(socket);
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (budget.openBodiesHeld() != 300) {
          assertThat(System.nanoTime()).isLessThan(deadline);
          Thread.sleep(5);
        }
        Socket fourth = new Socket(InetAddress.getLoopbackAddress(), budget.port());
        slow.add(fourth);
        fourth
            .getOutputStream()
            .write(
                "POST /v1/open HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
        awaitWaiting(budget, 1);
        // a request with a token still finds all of its own room
        assertThat(json(post(base, "/v1/large", "x".repeat(1000))).get("bytes").asInt())
            .isEqualTo(1000);
        assertThat(budget.bodiesHeld()).isZero();
        assertThat(budget.openBodiesHeld()).isEqualTo(300);
      } finally {
        for (Socket s : slow) {
          s.close();
        }
      }
    }
  }

  @Test
  void aBodyThatFindsNoRoomWithinTheRequestTimeoutIs503Unread() throws Exception {
    CountDownLatch handling = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Handler blocking =
        ex -> {
          handling.countDown();
          release.await();
          ex.json(200, Map.of("bytes", ex.body().length));
        };
    try (HttpServer budget = budgetServer(Duration.ofMillis(500), blocking)) {
      URI base = budget.uri();
      // a request whose handler holds its 1,000 bytes until released
      var holder = postAsync(base, "/v1/blocking", "x".repeat(1000));
      assertThat(handling.await(20, TimeUnit.SECONDS)).isTrue();
      try {
        HttpResponse<String> busy = post(base, "/v1/large", "x".repeat(900));
        assertThat(busy.statusCode()).isEqualTo(503);
        assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(json(busy).get("error").asText())
            .contains("1500 bytes of request bodies", "svc.http.max.bodies.bytes", "500 ms");
      } finally {
        release.countDown();
      }
      assertThat(json(holder.get(20, TimeUnit.SECONDS)).get("bytes").asInt()).isEqualTo(1000);
      assertThat(budget.bodiesHeld()).isZero();
      assertThat(rawGet(budget, "/metrics"))
          .contains("refinery_http_bodies_refused_total{server=\"budget\"} 1.0");
    }
  }

  @Test
  void aBodyWaitingLongerThanTheIdleTimeoutIsStillServed() throws Exception {
    CountDownLatch handling = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    HttpSettings settings =
        new HttpSettings(
            HttpSettings.LOOPBACK,
            0,
            1000,
            Duration.ofMillis(300),
            Duration.ofSeconds(30),
            4,
            1500,
            "svc.",
            null,
            null);
    try (HttpServer budget =
        HttpServer.builder("budget", settings)
            .post(
                "/v1/blocking",
                TOKEN,
                ex -> {
                  handling.countDown();
                  release.await();
                  ex.json(200, Map.of("bytes", ex.body().length));
                })
            .post("/v1/large", TOKEN, ex -> ex.json(200, Map.of("bytes", ex.body().length)))
            .start()) {
      URI base = budget.uri();
      var holder = postAsync(base, "/v1/blocking", "x".repeat(1000));
      assertThat(handling.await(20, TimeUnit.SECONDS)).isTrue();
      var waiting = postAsync(base, "/v1/large", "x".repeat(900));
      awaitWaiting(budget, 1);
      // in line for several idle timeouts, sending nothing the server reads
      Thread.sleep(1500);
      release.countDown();
      HttpResponse<String> h = holder.get(20, TimeUnit.SECONDS);
      HttpResponse<String> w = waiting.get(20, TimeUnit.SECONDS);
      assertThat(h.statusCode() + " " + h.body()).isEqualTo("200 {\"bytes\":1000}");
      assertThat(w.statusCode() + " " + w.body()).isEqualTo("200 {\"bytes\":900}");
    }
  }

  private java.util.concurrent.CompletableFuture<HttpResponse<String>> postAsync(
      URI base, String path, String body) {
    return client.sendAsync(postOf(base, path, body), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest postOf(URI base, String path, String body) {
    return HttpRequest.newBuilder(base.resolve(path))
        .header("Authorization", "Bearer good")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  /** A GET with neither a length nor a body, as curl sends it. */
  private static String rawGet(HttpServer server, String path) throws Exception {
    return raw(server, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  }

  /** POSTs bytes with their length declared. */
  private static HttpResponse<String> postBytes(HttpClient client, URI uri, byte[] body)
      throws Exception {
    return client.send(
        HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The SHA-256 of some bytes, in hex. */
  private static String sha256(byte[] bytes) throws java.security.NoSuchAlgorithmException {
    return java.util.HexFormat.of()
        .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** Sends a request as it is written, and reads its answer. */
  private static String raw(HttpServer server, String request) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      return readAnswer(socket.getInputStream());
    }
  }

  /** Waits until {@code n} requests wait for room. */
  private static void awaitWaiting(HttpServer server, int n) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (server.bodiesWaiting() != n) {
      assertThat(System.nanoTime()).as("waiting: %d", server.bodiesWaiting()).isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  /** Waits until the server holds {@code bytes} of bodies: it has read the slow request's head. */
  private static void awaitHeld(HttpServer server, long bytes) throws InterruptedException {
    awaitHeld(server::bodiesHeld, bytes);
  }

  /** Waits until {@code held} says {@code bytes}. */
  private static void awaitHeld(java.util.function.LongSupplier held, long bytes)
      throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (held.getAsLong() != bytes) {
      assertThat(System.nanoTime()).as("bodies held: %d", held.getAsLong()).isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  /** Reads one answer whose body has a declared length, leaving the connection open. */
  private static String readAnswer(InputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    java.util.regex.Matcher length =
        java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
    int n = length.find() ? Integer.parseInt(length.group(1)) : 0;
    return head + new String(in.readNBytes(n), StandardCharsets.UTF_8);
  }

  private HttpResponse<String> post(URI base, String path, String body) throws Exception {
    return client.send(postOf(base, path, body), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> postUndeclared(URI base, String path, int bytes) throws Exception {
    return client.send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Authorization", "Bearer good")
            .POST(
                HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream(new byte[bytes])))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthAndMetrics() throws Exception {
    HttpResponse<String> health = get("/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(json(health).get("status").asText()).isEqualTo("UP");
    assertThat(json(health).get("detail").asInt()).isEqualTo(1);
    up.set(false);
    assertThat(get("/health").statusCode()).isEqualTo(503);
    assertThat(get("/metrics").body()).contains("refinery_test_requests_total 1.0");
    HttpResponse<String> stream = get("/v1/stream");
    assertThat(stream.body()).isEqualTo("{}\n{}\n");
  }

  @Test
  void listensOnLoopbackOnlyByDefault() throws Exception {
    assertThat(server.host()).isEqualTo("127.0.0.1");
    List<InetAddress> others = new ArrayList<>();
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (!address.isLoopbackAddress() && address instanceof java.net.Inet4Address) {
          others.add(address);
        }
      }
    }
    for (InetAddress address : others) {
      try (Socket socket = new Socket()) {
        socket.connect(new java.net.InetSocketAddress(address, server.port()), 1000);
        throw new AssertionError("the server answered on " + address);
      } catch (java.io.IOException expected) {
        // refused: it listens on loopback only
      }
    }
  }

  @Test
  void slowClientsDoNotHoldTheServer() throws Exception {
    // more trickling clients than the server has threads, each sending its body a byte at a time
    List<Socket> slow = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/things/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Content-Length: 90\r\n\r\n{")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      slow.add(socket);
    }
    Socket header = new Socket(InetAddress.getLoopbackAddress(), server.port());
    header.getOutputStream().write("GET /v1/thi".getBytes(StandardCharsets.US_ASCII));
    slow.add(header);
    try {
      // others are still served: the bodies are read without holding the server's 4 threads
      for (int i = 0; i < 8; i++) {
        assertThat(get("/health").statusCode()).isEqualTo(200);
        assertThat(post("/v1/things/" + i, "{}").statusCode()).isEqualTo(200);
      }
      // and a trickling body is answered 408 once the request timeout has passed
      Socket first = slow.get(0);
      first.setSoTimeout(20_000);
      InputStream in = first.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(answer).startsWith("HTTP/1.1 408").contains("did not all arrive");
    } finally {
      for (Socket s : slow) {
        s.close();
      }
    }
  }

  @Test
  void withAKeystoreItSpeaksHttpsOnly(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path keystore = dir.resolve("service.p12");
    String keytool =
        java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p =
        new ProcessBuilder(
                keytool,
                "-genkeypair",
                "-alias",
                "service",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                "changeit",
                "-keypass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    try (HttpServer https =
        HttpServer.builder("tls", HttpSettings.loopback(0).withTls(keystore.toString(), "changeit"))
            .get("/ping", ex -> ex.text(200, "pong"))
            .post("/v1/digest", 2 << 20, ex -> ex.text(200, sha256(ex.body())))
            .start()) {
      assertThat(https.uri().getScheme()).isEqualTo("https");
      java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
      try (var in = java.nio.file.Files.newInputStream(keystore)) {
        trust.load(in, "changeit".toCharArray());
      }
      javax.net.ssl.TrustManagerFactory tmf =
          javax.net.ssl.TrustManagerFactory.getInstance(
              javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      HttpClient tlsClient = HttpClient.newBuilder().sslContext(context).build();
      HttpResponse<String> pong =
          tlsClient.send(
              HttpRequest.newBuilder(https.uri().resolve("/ping")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(pong.body()).isEqualTo("pong");
      // a body of many TLS records arrives whole
      byte[] body = new byte[1_500_000];
      new java.util.Random(3).nextBytes(body);
      HttpResponse<String> digest = postBytes(tlsClient, https.uri().resolve("/v1/digest"), body);
      assertThat(digest.body()).isEqualTo(sha256(body));
      // plain HTTP on the same port is not served
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  client.send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + https.port() + "/ping"))
                          .timeout(Duration.ofSeconds(10))
                          .build(),
                      HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(java.io.IOException.class);
    }
  }

  @Test
  void aPortInUseIsAnErrorNamingIt() {
    HttpSettings same = HttpSettings.loopback(server.port());
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> HttpServer.builder("second", same).start())
        .hasMessageContaining("127.0.0.1:" + server.port())
        .hasMessageContaining("free port");
  }

  @Test
  void aRouteTwiceIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                HttpServer.builder("x", HttpSettings.loopback(0))
                    .get("/a", e -> {})
                    .get("/a", e -> {}))
        .hasMessageContaining("twice");
  }

  @Test
  void uriIsUsable() {
    assertThat(server.uri()).isEqualTo(URI.create("http://127.0.0.1:" + server.port()));
  }
}
