package dev.refinery.bridge;

import dev.refinery.runtime.http.Exchange;
import dev.refinery.runtime.http.HttpError;
import dev.refinery.runtime.pairs.RewardPairs;
import dev.refinery.schemas.PairOrigin;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /v1/rm-pairs[?origin=HUMAN,RBRM][&lineage=true][&format=trl-preference|trl-implicit|
 * trl-conversational|openrlhf][&margin=auto|always|never]} on the bridge's HTTP port: the current
 * reward-model pairs as JSONL (the same rows as {@code refinery feedback export}), read from
 * feedback.rm-pairs.v1 at the time of the request, so a reward-model trainer on the node reads them
 * where its policy reads token batches. The pairs' records are spooled to a file for the request's
 * time, not held in the heap ({@link RewardPairs}), and calls that overlap while the topic stands
 * still share one read and one spool ({@link SharedPairs}).
 */
final class RewardPairsEndpoint {
  private final SharedPairs<RewardPairs> shared;

  RewardPairsEndpoint(SharedPairs<RewardPairs> shared) {
    this.shared = shared;
  }

  void serve(Exchange exchange) throws HttpError, IOException {
    Set<PairOrigin> origins = EnumSet.allOf(PairOrigin.class);
    boolean lineage = false;
    RewardPairs.Format format = RewardPairs.Format.TRL_PREFERENCE;
    RewardPairs.Margin margin = RewardPairs.Margin.AUTO;
    for (Map.Entry<String, String> parameter : exchange.query().entrySet()) {
      String value = parameter.getValue() == null ? "" : parameter.getValue();
      if (parameter.getKey().equals("lineage")) {
        lineage = value.isEmpty() || value.equals("true") || value.equals("1");
      } else if (parameter.getKey().equals("origin")) {
        origins = EnumSet.noneOf(PairOrigin.class);
        for (String origin : value.split(",")) {
          try {
            origins.add(PairOrigin.valueOf(origin.trim().toUpperCase(Locale.ROOT)));
          } catch (IllegalArgumentException e) {
            throw HttpError.badRequest("origin", "origin '" + origin + "' is not HUMAN or RBRM");
          }
        }
      } else if (parameter.getKey().equals("format")) {
        try {
          format = RewardPairs.Format.ofCliName(value);
        } catch (IllegalArgumentException e) {
          throw HttpError.badRequest("format", e.getMessage());
        }
      } else if (parameter.getKey().equals("margin")) {
        try {
          margin = RewardPairs.Margin.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw HttpError.badRequest(
              "margin", "margin '" + value + "' is not auto, always or never");
        }
      } else {
        throw HttpError.badRequest(
            parameter.getKey(),
            "unknown parameter '"
                + parameter.getKey()
                + "'; the parameters are origin, lineage, format and margin");
      }
    }
    SharedPairs<RewardPairs>.Lease lease;
    try {
      lease = shared.acquire();
    } catch (RuntimeException e) {
      throw HttpError.unavailable("cannot read the pairs: " + e.getMessage());
    }
    try (lease) {
      RewardPairs pairs = lease.pairs();
      Set<PairOrigin> chosen = origins;
      boolean withLineage = lineage;
      RewardPairs.Format as = format;
      RewardPairs.Margin margins = margin;
      exchange.stream(
          200, "application/x-ndjson", out -> pairs.write(chosen, as, margins, withLineage, out));
    }
  }
}
