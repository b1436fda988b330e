package dev.refinery.feedback;

import dev.refinery.runtime.kafka.TopicReader;
import dev.refinery.schemas.AvroCodec;
import dev.refinery.schemas.RecordDecodeException;
import dev.refinery.schemas.Sample;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's view of {@code feedback.samples.v1}: sample id to prompt and completion ids, read
 * from the beginning (read_committed) and followed, so labels are checked against the samples they
 * name. It holds about 200 bytes a sample: 10 million samples are about 2 GB of heap; past that,
 * set {@code feedback.sample.check=false} and let the joiner reject what does not match.
 */
final class SampleIndex implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SampleIndex.class);

  private final Map<String, KnownSample> samples = new ConcurrentHashMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private final AtomicLong undecodable = new AtomicLong();
  private volatile boolean caughtUp;
  private volatile boolean closed;

  SampleIndex(dev.refinery.runtime.config.KafkaClients clients) {
    this.consumer =
        TopicReader.consumer(
            clients, "refinery-feedback-samples", Topics.FEEDBACK_SAMPLES.maxMessageBytes());
    this.thread = new Thread(this::run, "feedback-sample-index");
    thread.setDaemon(true);
  }

  /** Starts reading; {@link #caughtUp()} turns true when the end of the topic is reached. */
  SampleIndex start() {
    thread.start();
    return this;
  }

  private void run() {
    try {
      List<TopicPartition> partitions = partitions();
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (!closed) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          try {
            add(AvroCodec.of(Sample.class).decode(record.value()));
          } catch (RecordDecodeException | NullPointerException e) {
            undecodable.incrementAndGet();
          }
        }
        if (!caughtUp
            && end.entrySet().stream()
                .allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
          caughtUp = true;
          LOG.info("sample index caught up: {} samples", samples.size());
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("sample index stopped; labels are refused with 503 until the gateway restarts", e);
    } finally {
      consumer.close();
    }
  }

  private List<TopicPartition> partitions() {
    while (!closed) {
      List<TopicPartition> partitions =
          TopicReader.assignFromBeginning(
              consumer, Topics.FEEDBACK_SAMPLES.name(), Duration.ofSeconds(10));
      if (!partitions.isEmpty()) {
        return partitions;
      }
      LOG.warn("{} does not exist yet; run refinery topics", Topics.FEEDBACK_SAMPLES.name());
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new WakeupException();
      }
    }
    throw new WakeupException();
  }

  /** Adds a sample the gateway has just committed, so its labels need not wait for the read. */
  void add(Sample sample) {
    samples.putIfAbsent(sample.getSampleId(), KnownSample.of(sample));
  }

  KnownSample get(String sampleId) {
    return samples.get(sampleId);
  }

  boolean caughtUp() {
    return caughtUp;
  }

  int size() {
    return samples.size();
  }

  long undecodable() {
    return undecodable.get();
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
