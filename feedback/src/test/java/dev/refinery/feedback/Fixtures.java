package dev.refinery.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refinery.schemas.Completion;
import dev.refinery.schemas.Sample;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Webhook fixtures and samples for the tests. */
final class Fixtures {
  static final ObjectMapper JSON = new ObjectMapper();
  static final byte[] KEY = "a-test-pseudonym-key-0123456789".getBytes();

  private Fixtures() {}

  static byte[] bytes(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/webhooks/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode json(String name) {
    try {
      return JSON.readTree(bytes(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A sample of the given completion ids, the text of each {@code text of <id>}. */
  static Sample sample(String sampleId, String promptId, String... completionIds) {
    List<Completion> completions = new ArrayList<>();
    for (String id : completionIds) {
      completions.add(
          Completion.newBuilder()
              .setCompletionId(id)
              .setText("text of " + id)
              .setModel("policy-" + id)
              .setModelVersion(null)
              .build());
    }
    return Sample.newBuilder()
        .setSampleId(sampleId)
        .setPromptId(promptId)
        .setPrompt("prompt of " + promptId)
        .setCompletions(completions)
        .setPolicyRun("run-1")
        .setCreatedAt(Instant.parse("2026-11-20T00:00:00Z"))
        .setAttributes(Map.of())
        .build();
  }

  /** A sample whose completions have these ids and texts, in this order. */
  static Sample sampleWithTexts(String sampleId, String promptId, String... idsAndTexts) {
    Sample sample = sample(sampleId, promptId);
    List<Completion> completions = new ArrayList<>();
    for (int i = 0; i < idsAndTexts.length; i += 2) {
      completions.add(
          Completion.newBuilder()
              .setCompletionId(idsAndTexts[i])
              .setText(idsAndTexts[i + 1])
              .setModel("policy")
              .setModelVersion(null)
              .build());
    }
    return Sample.newBuilder(sample).setCompletions(completions).build();
  }

  /** The two answers of the pairwise delivery, as its task shows them. */
  static final String SKY_WRONG = "Because the ocean reflects onto it.";

  static final String SKY_RIGHT =
      "Air molecules scatter short blue wavelengths of sunlight more than long red ones (Rayleigh"
          + " scattering), so blue light reaches our eyes from every direction of the sky.";

  /** The Argilla record's three responses, as its fields show them. */
  static final String HAMLET_1 = "A prince avenges his father and everyone dies.";

  static final String HAMLET_2 =
      "Prince Hamlet feigns madness to avenge his murdered father, and the court ends in ruin.";
  static final String HAMLET_3 = "A Danish play.";

  /** The sample the Argilla record shows: r1, r2 and r3 with the record's three responses. */
  static Sample hamlet() {
    return sampleWithTexts("s-arg-1", "p3", "r1", HAMLET_1, "r2", HAMLET_2, "r3", HAMLET_3);
  }

  static KnownSample known(Sample sample) {
    return KnownSample.of(sample);
  }
}
