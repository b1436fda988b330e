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

  static KnownSample known(Sample sample) {
    return new KnownSample(
        sample.getPromptId(),
        sample.getCompletions().stream().map(Completion::getCompletionId).toList());
  }
}
