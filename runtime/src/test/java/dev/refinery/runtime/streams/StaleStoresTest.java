package dev.refinery.runtime.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stores an earlier build left in tasks that no longer keep them. */
class StaleStoresTest {
  @TempDir Path state;

  /** Two sub-topologies: 0 keeps store {@code first}, 1 keeps {@code second}. */
  private static Topology topology() {
    StreamsBuilder builder = new StreamsBuilder();
    for (String store : new String[] {"first", "second"}) {
      builder.addStateStore(
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.String()));
    }
    builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
        .process(() -> new Pass(), Named.as("one"), "first")
        .repartition(Repartitioned.with(Serdes.String(), Serdes.String()).withName("again"))
        .process(() -> new Pass(), Named.as("two"), "second");
    return builder.build();
  }

  private static final class Pass implements Processor<String, String, String, String> {
    private org.apache.kafka.streams.processor.api.ProcessorContext<String, String> context;

    @Override
    public void init(org.apache.kafka.streams.processor.api.ProcessorContext<String, String> c) {
      context = c;
    }

    @Override
    public void process(Record<String, String> record) {
      context.forward(record);
    }
  }

  private Path store(String task, String name) throws IOException {
    Path dir = state.resolve("app").resolve(task).resolve("rocksdb").resolve(name);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("000001.sst"), "data");
    return dir;
  }

  @Test
  void aStoreInATaskOfAnotherSubTopologyIsRemovedAndTheRestIsKept() throws IOException {
    Path firstWhereItIs = store("0_0", "first");
    Path secondWhereItWas = store("0_1", "second");
    Path secondWhereItIs = store("1_1", "second");
    Path firstWhereItWas = store("1_0", "first");
    Path global = store("global", "takedowns");
    Files.writeString(state.resolve("app").resolve("0_0").resolve(".checkpoint"), "0\n0\n");
    Properties config = new Properties();
    config.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, "app");

    assertThat(StaleStores.remove(topology(), config))
        .containsExactly(secondWhereItWas, firstWhereItWas);

    assertThat(secondWhereItWas).doesNotExist();
    assertThat(firstWhereItWas).doesNotExist();
    assertThat(firstWhereItIs.resolve("000001.sst")).exists();
    assertThat(secondWhereItIs.resolve("000001.sst")).exists();
    assertThat(global).exists();
    assertThat(state.resolve("app").resolve("0_0").resolve(".checkpoint")).exists();
    // run again, nothing is left to remove
    assertThat(StaleStores.remove(topology(), config)).isEmpty();
  }

  @Test
  void aStateDirectoryNotMadeYetHasNothingToRemove() {
    Properties config = new Properties();
    config.put(StreamsConfig.STATE_DIR_CONFIG, state.resolve("none").toString());
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, "app");
    assertThat(StaleStores.remove(topology(), config)).isEmpty();
  }
}
