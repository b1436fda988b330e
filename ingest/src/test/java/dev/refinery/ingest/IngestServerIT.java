package dev.refinery.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.infra.testing.KafkaFixture;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The ingest HTTP service on the embedded broker. */
class IngestServerIT {
  @RegisterExtension static final KafkaFixture kafka = KafkaFixture.withStreams();
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static IngestServer server;

  @BeforeAll
  static void start() throws IOException {
    IngestConfig config =
        new IngestConfig(
            Map.of(
                "bootstrap.servers",
                kafka.bootstrapServers(),
                IngestConfig.HTTP_PORT,
                0,
                IngestConfig.HTTP_MAX_BODY_BYTES,
                4096,
                IngestConfig.MAX_DOCUMENT_BYTES,
                1024,
                IngestConfig.TOKEN_PREFIX + "pusher",
                "documents:" + TOKEN));
    SourceRegistry sources =
        SourceRegistry.fromConfig(
            Map.of(
                "sources.push-test.kind",
                "synthetic",
                "sources.push-test.licence",
                "CC0-1.0",
                "sources.push-test.stream",
                "web"));
    server = IngestServer.start(config, sources, IngestServer.prometheus());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static final String TOKEN = "a-token-that-may-push-documents";

  static HttpResponse<String> post(String path, String contentType, String body) throws Exception {
    return post(path, contentType, body, TOKEN);
  }

  static HttpResponse<String> post(String path, String contentType, String body, String token)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(
        request
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aJsonBatchGetsAResultPerDocumentAndLandsOnTheTopics() throws Exception {
    HttpResponse<String> response =
        post(
            "/v1/sources/push-test/documents",
            "application/json",
            """
        [{"id": "p1", "text": "Pushed document one."},
         {"id": "p2", "body": "no text field"},
         {"id": "p3", "text": "Pushed document three.", "url": "https://push.example/3"}]
        """);

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.get("accepted").asInt()).isEqualTo(2);
    assertThat(body.get("rejected").asInt()).isEqualTo(1);
    assertThat(body.get("results").get(1).get("status").asText()).isEqualTo("rejected");
    assertThat(body.get("results").get(1).get("reason").asText()).isEqualTo("MISSING_TEXT");
    String id = body.get("results").get(0).get("doc_id").asText();
    List<Document> docs =
        kafka.await(
            Topics.CORPUS_RAW,
            d -> d.stream().anyMatch(x -> x.getId().equals(id)),
            Duration.ofSeconds(30));
    assertThat(docs)
        .filteredOn(d -> d.getSource().getName().equals("push-test"))
        .hasSizeGreaterThanOrEqualTo(2);
    List<RejectedDocument> rejected = kafka.values(Topics.CORPUS_REJECTED);
    assertThat(rejected)
        .anySatisfy(
            r -> {
              assertThat(r.getReason()).isEqualTo("MISSING_TEXT");
              assertThat(r.getLocation()).startsWith("http:");
            });
  }

  @Test
  void ndjsonIsReadLineByLineBadLinesIncluded() throws Exception {
    HttpResponse<String> response =
        post(
            "/v1/sources/push-test/documents",
            "application/x-ndjson",
            "{\"text\": \"line one\"}\n{not json\n{\"text\": \"line three\"}\n");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode results = JSON.readTree(response.body()).get("results");
    assertThat(results).hasSize(3);
    assertThat(results.get(1).get("reason").asText()).isEqualTo("MALFORMED_JSON");
    assertThat(results.get(2).get("status").asText()).isEqualTo("accepted");
  }

  @Test
  void pushedImagesAreWrittenOnceABatchAndABadOneIsRefusedWhileItsDocumentGoesOn()
      throws Exception {
    java.awt.image.BufferedImage picture =
        new java.awt.image.BufferedImage(16, 16, java.awt.image.BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < 16; i++) {
      picture.setRGB(i, i, 0xFF8800);
    }
    java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(picture, "png", png);
    String image =
        "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(png.toByteArray());
    String broken =
        "data:image/png;base64,"
            + java.util.Base64.getEncoder()
                .encodeToString("not a png".getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> response =
        post(
            "/v1/sources/push-test/documents",
            "application/x-ndjson",
            "{\"image\": \""
                + image
                + "\", \"caption\": \"a diagonal, once\"}\n"
                + "{\"image\": \""
                + image
                + "\", \"caption\": \"the same diagonal, again\"}\n"
                + "{\"image\": \""
                + broken
                + "\", \"caption\": \"a picture that is not one\"}\n");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.get("accepted").asInt()).isEqualTo(3);
    String sha =
        java.util.HexFormat.of()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(png.toByteArray()));
    String last = body.get("results").get(2).get("doc_id").asText();
    kafka.await(
        Topics.CORPUS_RAW,
        d -> d.stream().anyMatch(x -> x.getId().equals(last)),
        Duration.ofSeconds(30));
    assertThat(kafka.values(Topics.CORPUS_IMAGES))
        .as("the image's bytes once, though two documents of the batch hold it")
        .filteredOn(i -> i.getSha256().equals(sha))
        .hasSize(1);
    assertThat(kafka.values(Topics.CORPUS_REJECTED))
        .as("the broken image refused, with its document's id")
        .anySatisfy(r -> assertThat(r.getDocId()).isEqualTo(last));
  }

  @Test
  void badRequestsGetAFourHundredThatSaysWhy() throws Exception {
    HttpResponse<String> unknown =
        post("/v1/sources/nobody/documents", "application/json", "{\"text\": \"x\"}");
    HttpResponse<String> notJson =
        post("/v1/sources/push-test/documents", "application/json", "{\"text\": ");
    HttpResponse<String> tooBig =
        post(
            "/v1/sources/push-test/documents",
            "application/json",
            "[" + "{\"text\": \"x\"},".repeat(400) + "{\"text\": \"x\"}]");
    HttpResponse<String> wrongMethod = get("/v1/sources/push-test/documents");

    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("'nobody' is not declared");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.body()).contains("body is not JSON").contains("application/x-ndjson");
    assertThat(tooBig.statusCode()).isEqualTo(413);
    assertThat(tooBig.body()).contains(IngestConfig.HTTP_MAX_BODY_BYTES);
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
  }

  @Test
  void aJsonBodyIsOneValueWholeAndNothingAfterItAndItsElementsAreEachJudged() throws Exception {
    String path = "/v1/sources/push-test/documents";
    HttpResponse<String> unended = post(path, "application/json", "[{\"text\": \"one\"}, ");
    HttpResponse<String> trailing =
        post(path, "application/json", "[{\"text\": \"one\"}] {\"text\": \"two\"}");
    HttpResponse<String> twoObjects =
        post(path, "application/json", "{\"text\": \"one\"}\n{\"text\": \"two\"}");
    for (HttpResponse<String> r : List.of(unended, trailing, twoObjects)) {
      // refused whole: nothing of the body is written
      assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    }
    assertThat(trailing.body()).contains("content after the JSON value").contains("NDJSON");

    HttpResponse<String> mixed =
        post(path, "application/json", "[null, 5, [], {\"text\": \"an element that is one\"}]");
    assertThat(mixed.statusCode()).as(mixed.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(mixed.body());
    assertThat(body.get("accepted").asInt()).isEqualTo(1);
    assertThat(body.get("rejected").asInt()).isEqualTo(3);
    assertThat(body.get("results").get(0).get("reason").asText()).isEqualTo("NOT_AN_OBJECT");
    assertThat(body.get("results").get(3).get("status").asText()).isEqualTo("accepted");
  }

  @Test
  void theContentTypeDecidesTheParserAndAnyOtherIsRefused() throws Exception {
    // NDJSON sent as curl sends by default: never read as one JSON value that drops the rest
    HttpResponse<String> form =
        post(
            "/v1/sources/push-test/documents",
            "application/x-www-form-urlencoded",
            "{\"text\": \"one\"}\n{\"text\": \"two\"}\n");
    assertThat(form.statusCode()).isEqualTo(415);
    assertThat(form.body()).contains("application/x-ndjson").contains("application/json");
    HttpResponse<String> text =
        post("/v1/sources/push-test/documents", "text/plain", "{\"text\": \"one\"}");
    assertThat(text.statusCode()).isEqualTo(415);
    // JSON with a charset is JSON
    HttpResponse<String> json =
        post(
            "/v1/sources/push-test/documents",
            "application/json; charset=utf-8",
            "[{\"text\": \"one\"}, {\"text\": \"two\"}]");
    assertThat(json.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(json.body()).get("accepted").asInt()).isEqualTo(2);
  }

  @Test
  void anEmptyBodyIsABadRequest() throws Exception {
    for (String type : new String[] {"application/json", "application/x-ndjson"}) {
      for (String body : new String[] {"", " \n\t\r\n", " \u3000\u2003\n"}) {
        HttpResponse<String> empty = post("/v1/sources/push-test/documents", type, body);
        assertThat(empty.statusCode()).as("%s %s", type, body).isEqualTo(400);
        assertThat(empty.body()).contains("empty");
      }
    }
  }

  @Test
  void onlyATokenOfScopeDocumentsMayPush() throws Exception {
    HttpResponse<String> none =
        post("/v1/sources/push-test/documents", "application/json", "{\"text\": \"x\"}", null);
    HttpResponse<String> unknown =
        post(
            "/v1/sources/push-test/documents",
            "application/json",
            "{\"text\": \"x\"}",
            "not-a-token-of-this-service");
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).contains("Authorization: Bearer");
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(unknown.body()).contains("unknown token");
    // metrics and health stay open on loopback
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  void healthAndPrometheusMetrics() throws Exception {
    post("/v1/sources/push-test/documents", "application/json", "{\"text\": \"counted\"}");

    HttpResponse<String> health = get("/health");
    HttpResponse<String> metrics = get("/metrics");

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(health.body()).get("status").asText()).isEqualTo("UP");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("refinery_ingest_documents_total{source=\"push-test\"}")
        .contains("refinery_ingest_rejected_total")
        // the writers: eight by default, none busy once every push is answered, and the pushes'
        // waits for one (this class's pushes, all answered before)
        .contains("refinery_ingest_http_writers 8.0")
        .contains("refinery_ingest_http_writers_busy 0.0")
        .containsPattern("refinery_ingest_http_writer_wait_seconds_count [1-9]");
  }
}
