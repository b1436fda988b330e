package dev.refinery.feedback;

import dev.refinery.runtime.kafka.TopicFollower;
import dev.refinery.schemas.AvroCodec;
import dev.refinery.schemas.RecordDecodeException;
import dev.refinery.schemas.Sample;
import dev.refinery.schemas.Topics;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway's view of {@code feedback.samples.v1}: sample id to prompt and completion ids, read
 * from the beginning (read_committed) and followed, so labels are checked against the samples they
 * name. Each sample is kept as one array ({@link KnownSample#toCompact}) under its id: 246 bytes of
 * heap a sample of two completions whose ids are UUIDs, 349 with four (measured over a million); 10
 * million samples of two are about 2.5 GB. Past what the heap holds, set {@code
 * feedback.sample.check=false} and let the joiner reject what does not match.
 */
final class SampleIndex implements AutoCloseable {
  private final Map<String, byte[]> samples = new ConcurrentHashMap<>();
  private final AtomicLong undecodable = new AtomicLong();
  private final dev.refinery.runtime.config.KafkaClients clients;
  private TopicFollower follower;

  SampleIndex(dev.refinery.runtime.config.KafkaClients clients) {
    this.clients = clients;
  }

  /** Starts reading; {@link #caughtUp()} turns true when the end of the topic is reached. */
  SampleIndex start() {
    follower =
        new TopicFollower(
            clients,
            Topics.FEEDBACK_SAMPLES.name(),
            "refinery-feedback-samples",
            Topics.FEEDBACK_SAMPLES.maxMessageBytes(),
            record -> {
              try {
                add(AvroCodec.of(Sample.class).decode(record.value()));
              } catch (RecordDecodeException | NullPointerException e) {
                undecodable.incrementAndGet();
              }
            },
            "the sample index stopped; labels are refused with 503 until the gateway restarts");
    return this;
  }

  /** Adds a sample the gateway has just committed, so its labels need not wait for the read. */
  void add(Sample sample) {
    samples.putIfAbsent(sample.getSampleId(), KnownSample.of(sample).toCompact());
  }

  KnownSample get(String sampleId) {
    byte[] compact = samples.get(sampleId);
    return compact == null ? null : KnownSample.ofCompact(compact);
  }

  boolean caughtUp() {
    return follower != null && follower.caughtUp();
  }

  int size() {
    return samples.size();
  }

  long undecodable() {
    return undecodable.get();
  }

  @Override
  public void close() {
    if (follower != null) {
      follower.close();
    }
  }
}
