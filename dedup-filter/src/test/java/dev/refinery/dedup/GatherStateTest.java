package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gathering step writes a document's state to its store with the first answer, not when the
 * document comes: until then the state says nothing the waiting document does not, and it is held
 * in memory only. Where that memory is gone (a task revived, which empties it), the waiting
 * document says how many answers to wait for.
 */
class GatherStateTest {
  private final Document doc = Docs.prose("gathered", 3);
  private final String key = doc.getId() + "@0:7";
  private final byte[] docMessage =
      Gather.encode(new Gather.Doc(2, Topics.CORPUS_RAW.serialize(doc), new byte[0]));
  private final byte[] answer =
      Gather.encode(
          new Gather.Answers(List.of(new Gather.Answer(DedupKey.Kind.EXACT, 0, null, false))));

  private MockProcessorContext<String, Verdict> context;
  private Counted gathering;
  private KeyValueStore<String, byte[]> documents;
  private GatherProcessor processor;

  @BeforeEach
  void start() {
    context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(1_000L);
    gathering = new Counted(store(DedupFilterTopology.GATHER_STORE));
    context.addStateStore(gathering);
    documents = store(DedupFilterTopology.DOCUMENT_STORE);
    processor = new GatherProcessor(new DedupFilterConfig(Map.of()), DedupMetrics.inMemory(), 1);
    processor.init(context);
  }

  private KeyValueStore<String, byte[]> store(String name) {
    KeyValueStore<String, byte[]> store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    return store;
  }

  private void process(byte[] message) {
    processor.process(new Record<>(key, message, 0L));
  }

  /** The gathering store, counting the writes that reach it (puts and deletions). */
  private static final class Counted implements KeyValueStore<String, byte[]> {
    private final KeyValueStore<String, byte[]> store;
    int writes;

    Counted(KeyValueStore<String, byte[]> store) {
      this.store = store;
    }

    @Override
    public void put(String key, byte[] value) {
      writes++;
      store.put(key, value);
    }

    @Override
    public byte[] putIfAbsent(String key, byte[] value) {
      writes++;
      return store.putIfAbsent(key, value);
    }

    @Override
    public void putAll(List<org.apache.kafka.streams.KeyValue<String, byte[]>> entries) {
      writes += entries.size();
      store.putAll(entries);
    }

    @Override
    public byte[] delete(String key) {
      writes++;
      return store.delete(key);
    }

    @Override
    public byte[] get(String key) {
      return store.get(key);
    }

    @Override
    public org.apache.kafka.streams.state.KeyValueIterator<String, byte[]> range(
        String from, String to) {
      return store.range(from, to);
    }

    @Override
    public org.apache.kafka.streams.state.KeyValueIterator<String, byte[]> all() {
      return store.all();
    }

    @Override
    public long approximateNumEntries() {
      return store.approximateNumEntries();
    }

    @Override
    public String name() {
      return store.name();
    }

    @Override
    public void init(
        org.apache.kafka.streams.processor.StateStoreContext context,
        org.apache.kafka.streams.processor.StateStore root) {}

    @Override
    public void flush() {
      store.flush();
    }

    @Override
    public void close() {
      store.close();
    }

    @Override
    public boolean persistent() {
      return false;
    }

    @Override
    public boolean isOpen() {
      return store.isOpen();
    }

    @Override
    public org.apache.kafka.streams.query.Position getPosition() {
      return store.getPosition();
    }
  }

  /** The document decided once (clean), and neither its state nor its copy left in a store. */
  private void assertDecidedOnceWithNothingLeft() {
    assertThat(decided()).containsExactly(doc.getId());
    assertThat(gathering.get(key)).isNull();
    assertThat(documents.get(key)).isNull();
  }

  /** The gather state in the store: the answers awaited and received. */
  private void assertStored(int expected, int received) {
    GatherProcessor.State state = GatherProcessor.State.read(gathering.get(key));
    assertThat(state.expected).isEqualTo(expected);
    assertThat(state.received).isEqualTo(received);
  }

  /** The ids of the documents that went on clean, as the bytes the clean topic takes say. */
  private List<String> decided() {
    return context.forwarded().stream()
        .filter(f -> f.record().value().accepted())
        .map(f -> Topics.CORPUS_CLEAN.deserialize(f.record().value().cleanBytes()).getId())
        .toList();
  }

  @Test
  void theStateReachesItsStoreWithTheFirstAnswerAndGoesAtTheLast() {
    process(docMessage);
    assertThat(documents.get(key)).isEqualTo(docMessage);
    assertThat(gathering.get(key)).as("held in memory only").isNull();

    process(answer);
    assertStored(2, 1);
    assertThat(decided()).isEmpty();

    process(answer);
    assertDecidedOnceWithNothingLeft();
    assertThat(gathering.writes).as("the state with the first answer, its deletion").isEqualTo(2);
  }

  @Test
  void aDocumentDecidedAtItsFirstAnswerWritesNoState() {
    // a document the rules rejected waits for its replay key's answer alone
    process(Gather.encode(new Gather.Doc(1, Topics.CORPUS_RAW.serialize(doc), new byte[0])));
    process(answer);
    assertDecidedOnceWithNothingLeft();
    assertThat(gathering.writes).isZero();
  }

  @Test
  void aStateHeldInMemoryOnlyAndLostIsTakenFromTheWaitingDocument() {
    process(docMessage);
    // a task revived after an aborted transaction, or restarted: its memory is emptied
    processor.init(context);
    process(answer);
    assertStored(2, 1);
    processor.init(context);
    process(answer);
    assertDecidedOnceWithNothingLeft();
  }

  @Test
  void aDocumentWaitingForOneAnswerIsDecidedByItEvenWithItsStateLost() {
    byte[] one = Gather.encode(new Gather.Doc(1, Topics.CORPUS_RAW.serialize(doc), new byte[0]));
    process(one);
    processor.init(context);
    process(answer);
    assertDecidedOnceWithNothingLeft();
  }

  @Test
  void anAnswerBeforeItsDocumentWaitsForIt() {
    // as an earlier build could leave it: the answer first, the document after
    process(answer);
    assertThat(GatherProcessor.State.read(gathering.get(key)).expected).isEqualTo(-1);
    process(answer);
    assertThat(decided()).isEmpty();
    process(docMessage);
    assertDecidedOnceWithNothingLeft();
  }
}
