package dev.refinery.bridge;

import com.sun.net.httpserver.HttpExchange;
import dev.refinery.feedback.RewardPairs;
import dev.refinery.schemas.PairOrigin;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * {@code GET /v1/rm-pairs[?origin=HUMAN,RBRM][&lineage=true]} on the bridge's HTTP port: the
 * current reward-model pairs as JSONL (the same rows as {@code refinery feedback export}), read
 * from feedback.rm-pairs.v1 at the time of the request, so a reward-model trainer on the node reads
 * them where its policy reads token batches.
 */
final class RewardPairsEndpoint {
  private RewardPairsEndpoint() {}

  static void serve(HttpExchange exchange, String bootstrapServers) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET")) {
        exchange.getResponseHeaders().add("Allow", "GET");
        text(exchange, 405, "GET /v1/rm-pairs[?origin=HUMAN,RBRM][&lineage=true]\n");
        return;
      }
      Set<PairOrigin> origins = EnumSet.allOf(PairOrigin.class);
      boolean lineage = false;
      String query = exchange.getRequestURI().getQuery();
      if (query != null) {
        for (String parameter : query.split("&")) {
          String[] kv = parameter.split("=", 2);
          String value = kv.length > 1 ? kv[1] : "";
          if (kv[0].equals("lineage")) {
            lineage = value.isEmpty() || value.equals("true") || value.equals("1");
          } else if (kv[0].equals("origin")) {
            origins = EnumSet.noneOf(PairOrigin.class);
            for (String origin : value.split(",")) {
              try {
                origins.add(PairOrigin.valueOf(origin.trim().toUpperCase(Locale.ROOT)));
              } catch (IllegalArgumentException e) {
                text(exchange, 400, "origin '" + origin + "' is not HUMAN or RBRM\n");
                return;
              }
            }
          } else {
            text(
                exchange,
                400,
                "unknown parameter '" + kv[0] + "'; the parameters are origin and lineage\n");
            return;
          }
        }
      }
      RewardPairs pairs;
      try {
        pairs = RewardPairs.read(bootstrapServers, n -> {});
      } catch (RuntimeException e) {
        text(exchange, 503, "cannot read the pairs: " + e.getMessage() + "\n");
        return;
      }
      exchange.getResponseHeaders().add("Content-Type", "application/x-ndjson");
      exchange.sendResponseHeaders(200, 0);
      try (OutputStream out = exchange.getResponseBody()) {
        RewardPairs.writeJsonl(pairs.current(origins), lineage, out);
      }
    }
  }

  private static void text(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }
}
