package dev.refinery.bridge;

import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records on the token topics the bridge cannot serve (a key without a batch index, a value that
 * does not decode) are reported on {@code corpus.rejected.v1} with stage {@code TRAINER_BRIDGE},
 * their reason, {@code topic-partition@offset} and their bytes (cut at a bound), not only logged.
 *
 * <p>Every rank's feed reads every partition of its streams, so the same record may be met by
 * several ranks: it is reported once per bridge process, under an id made of where it is, so
 * reports from several processes or restarts are recognisably the same record.
 */
final class PoisonRecords {
  private static final Logger LOG = LoggerFactory.getLogger(PoisonRecords.class);

  /** A key on a token topic that holds no batch index. */
  static final String NO_BATCH_INDEX = "NO_BATCH_INDEX";

  /** A token batch that does not decode. */
  static final String UNDECODABLE_BATCH = "UNDECODABLE_BATCH";

  private final Producer<String, byte[]> producer;
  private final int maxOriginalBytes;
  private final Clock clock;
  private final Set<String> reported = ConcurrentHashMap.newKeySet();
  private final MeterRegistry registry;

  PoisonRecords(
      Producer<String, byte[]> producer,
      int maxOriginalBytes,
      MeterRegistry registry,
      Clock clock) {
    this.producer = producer;
    this.maxOriginalBytes = maxOriginalBytes;
    this.registry = registry;
    this.clock = clock;
  }

  /** Reports a record once; returns whether this call reported it. */
  boolean report(ConsumerRecord<String, byte[]> record, String reason, String detail) {
    String location = record.topic() + "-" + record.partition() + "@" + record.offset();
    if (!reported.add(location)) {
      return false;
    }
    byte[] original = record.value() == null ? new byte[0] : record.value();
    String id = "bridge:" + location;
    RejectedDocument rejection =
        Rejections.of(
                id,
                Stage.TRAINER_BRIDGE,
                reason,
                detail + (record.key() == null ? "" : " (key '" + record.key() + "')"),
                original,
                maxOriginalBytes,
                clock.instant())
            .setLocation(location)
            .build();
    producer.send(
        new ProducerRecord<>(
            Topics.CORPUS_REJECTED.name(), id, Topics.CORPUS_REJECTED.serialize(rejection)),
        (metadata, e) -> {
          if (e != null) {
            LOG.error("could not report {} {} on {}", reason, location, Topics.CORPUS_REJECTED, e);
          }
        });
    Counter.builder("refinery_bridge_rejected_records")
        .description("Records on the token topics the bridge could not serve, by reason")
        .tag("reason", reason)
        .register(registry)
        .increment();
    LOG.warn("{} {}: {}; reported on {}", reason, location, detail, Topics.CORPUS_REJECTED.name());
    return true;
  }
}
