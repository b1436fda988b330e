package dev.refinery.dedup;

import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.TakedownScope;
import dev.refinery.schemas.Topics;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global takedown store of every instance: each takedown on {@code corpus.takedowns.v1}
 * under its normalized key ({@link Takedowns#key}), whatever key it was produced with; a tombstone
 * withdraws the takedown of its key. A record that is not a Takedown is logged and skipped, never
 * fatal: the store is rebuilt through this processor on restore (Kafka 3.8+), so it is skipped
 * there too.
 */
final class TakedownLoader implements Processor<String, byte[], Void, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(TakedownLoader.class);

  private final DedupMetrics metrics;
  private KeyValueStore<String, Takedown> store;
  private ProcessorContext<Void, Void> context;

  TakedownLoader(DedupMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.context = context;
    this.store = context.getStateStore(DedupFilterTopology.TAKEDOWN_STORE);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    if (record.value() == null) {
      if (record.key() != null) {
        store.delete(Takedowns.normalizeKey(record.key()));
      }
      return;
    }
    Takedown takedown;
    try {
      takedown = Topics.CORPUS_TAKEDOWNS.deserialize(record.value());
    } catch (SerializationException e) {
      metrics.badTakedown();
      LOG.warn(
          "skipped a record on {} that is not a Takedown ({}): {}",
          Topics.CORPUS_TAKEDOWNS.name(),
          context
              .recordMetadata()
              .map(m -> "partition " + m.partition() + " offset " + m.offset())
              .orElse("?"),
          e.getMessage());
      return;
    }
    if (takedown.getScope() == TakedownScope.UNKNOWN || takedown.getValue().isBlank()) {
      metrics.badTakedown();
      LOG.warn(
          "skipped takedown {}: its scope is not one this build knows, or its value is empty",
          takedown);
      return;
    }
    store.put(Takedowns.key(takedown), takedown);
  }
}
