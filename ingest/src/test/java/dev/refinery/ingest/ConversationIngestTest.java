package dev.refinery.ingest;

import static dev.refinery.ingest.Fixtures.WEB;
import static dev.refinery.ingest.Fixtures.documents;
import static dev.refinery.ingest.Fixtures.rejections;
import static dev.refinery.ingest.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.Message;
import dev.refinery.schemas.RejectedDocument;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFT data in the shapes it is published in: OpenAI chat, ShareGPT, Alpaca; and garbage. */
class ConversationIngestTest {
  @TempDir Path dir;
  MockProducer<String, byte[]> producer =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());

  List<Document> ingest(String jsonl) throws Exception {
    Path file = write(dir, "sft.jsonl", jsonl.getBytes(StandardCharsets.UTF_8));
    new Ingestor(
            new IngestConfig(Map.of()),
            producer,
            ProgressStore.empty(),
            IngestMetrics.inMemory(),
            Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC))
        .ingest(file, WEB);
    return documents(producer);
  }

  private static List<String> turns(Document d) {
    return d.getMessages().stream().map(m -> m.getRole() + ": " + m.getContent()).toList();
  }

  @Test
  void theThreeCommonShapesBecomeTurnsAndTheFiltersReadTheirText() throws Exception {
    List<Document> docs =
        ingest(
            """
            {"id": "oa-1", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": [{"type": "text", "text": "Paris."}]}]}
            {"id": "sg-1", "system": "You are kind.", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}, {"from": "human", "value": "Bye"}, {"from": "gpt", "value": "Goodbye."}]}
            {"instruction": "Add the numbers.", "input": "2 and 3", "output": "5"}
            """);

    assertThat(docs).hasSize(3);
    assertThat(turns(docs.get(0)))
        .containsExactly("system: Be brief.", "user: Capital of France?", "assistant: Paris.");
    assertThat(docs.get(0).getText()).isEqualTo("Be brief.\n\nCapital of France?\n\nParis.");
    assertThat(docs.get(0).getAttributes()).containsEntry("format", "openai");
    assertThat(turns(docs.get(1)))
        .containsExactly(
            "system: You are kind.",
            "user: Hi",
            "assistant: Hello!",
            "user: Bye",
            "assistant: Goodbye.");
    assertThat(turns(docs.get(2)))
        .containsExactly("user: Add the numbers.\n\n2 and 3", "assistant: 5");
    assertThat(docs.get(2).getAttributes()).containsEntry("format", "alpaca");
  }

  @Test
  void aConversationThatCannotBeReadIsRejectedNamingTheFieldAndTheRestGoesOn() throws Exception {
    List<Document> docs =
        ingest(
            """
            {"messages": [{"role": "wizard", "content": "abracadabra"}, {"role": "assistant", "content": "ok"}]}
            {"messages": [{"role": "user", "content": "Anyone there?"}]}
            {"conversations": [{"from": "human", "value": 42}]}
            {"messages": "not a list"}
            {"instruction": "Say hi.", "output": "hi"}
            """);

    assertThat(docs).extracting(Document::getText).containsExactly("Say hi.\n\nhi");
    assertThat(rejections(producer))
        .extracting(RejectedDocument::getReason)
        .containsOnly("BAD_CONVERSATION")
        .hasSize(4);
    assertThat(rejections(producer))
        .extracting(RejectedDocument::getDetail)
        .anySatisfy(d -> assertThat(d).contains("messages[0].role").contains("wizard"))
        .anySatisfy(d -> assertThat(d).contains("no assistant turn"))
        .anySatisfy(d -> assertThat(d).contains("conversations[0].value"));
    assertThat(new Message("user", "x").getRole()).isEqualTo("user");
  }
}
