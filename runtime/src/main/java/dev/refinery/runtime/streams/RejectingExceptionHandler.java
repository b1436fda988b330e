package dev.refinery.runtime.streams;

import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Invariant 2 for a Kafka Streams stage: a record on which a processor throws ({@code
 * PROCESSING_ERROR}), or whose bytes an internal topic cannot decode ({@code UNDECODABLE}), becomes
 * one rejection on {@code corpus.rejected.v1} with the exception, where the record was
 * (topic-partition@offset, processor) and its original bytes, and the stage goes on with the next
 * record. The rejection is written by the task's producer, in the same transaction as the input
 * offset it consumes, so under {@code exactly_once_v2} it is written exactly once.
 *
 * <p>Configured by {@link StreamsRunner} through {@link #STAGE} and {@link #MAX_ORIGINAL_BYTES}.
 */
public final class RejectingExceptionHandler
    implements ProcessingExceptionHandler, DeserializationExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(RejectingExceptionHandler.class);

  /** Reason of a rejection for an exception thrown while processing a record. */
  public static final String PROCESSING_ERROR = "PROCESSING_ERROR";

  /** Reason of a rejection for bytes the topology cannot decode. */
  public static final String UNDECODABLE = "UNDECODABLE";

  /** Streams setting: the {@link Stage} the rejections name. */
  public static final String STAGE = "refinery.rejection.stage";

  /** Streams setting: how many bytes of the original record a rejection keeps. */
  public static final String MAX_ORIGINAL_BYTES = "refinery.rejection.original.max.bytes";

  private Stage stage = Stage.UNKNOWN;
  private int maxOriginalBytes = 64 * 1024;

  @Override
  public void configure(Map<String, ?> configs) {
    Object s = configs.get(STAGE);
    if (s != null) {
      try {
        stage = Stage.valueOf(s.toString());
      } catch (IllegalArgumentException e) {
        throw new ConfigException(STAGE, s, "not a stage; one of " + List.of(Stage.values()));
      }
    }
    Object max = configs.get(MAX_ORIGINAL_BYTES);
    if (max != null) {
      maxOriginalBytes = Integer.parseInt(max.toString());
    }
  }

  @Override
  public ProcessingExceptionHandler.Response handleError(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    LOG.warn(
        "{} record {} failed in processor {}; rejected as {} and skipped",
        stage,
        where(context),
        context.processorNodeId(),
        PROCESSING_ERROR,
        exception);
    return ProcessingExceptionHandler.Response.resume(
        List.of(
            rejection(
                context.sourceRawKey(),
                context.sourceRawValue(),
                PROCESSING_ERROR,
                "processor "
                    + context.processorNodeId()
                    + " threw "
                    + describe(exception)
                    + "; the record was skipped",
                where(context))));
  }

  @Override
  public DeserializationExceptionHandler.Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    LOG.warn(
        "{} record {} cannot be decoded; rejected as {} and skipped: {}",
        stage,
        where(context),
        UNDECODABLE,
        exception.toString());
    return DeserializationExceptionHandler.Response.resume(
        List.of(
            rejection(
                record.key(),
                record.value(),
                UNDECODABLE,
                "cannot decode the record: " + describe(exception),
                where(context))));
  }

  private ProducerRecord<byte[], byte[]> rejection(
      byte[] rawKey, byte[] rawValue, String reason, String detail, String location) {
    byte[] original = rawValue == null ? new byte[0] : rawValue;
    String docId =
        rawKey != null && rawKey.length > 0
            ? new String(rawKey, StandardCharsets.UTF_8)
            : DocumentIds.forBytes(stage.name().toLowerCase(java.util.Locale.ROOT), original);
    RejectedDocument rejected =
        Rejections.of(docId, stage, reason, detail, original, maxOriginalBytes, Instant.now())
            .setLocation(location)
            .build();
    return new ProducerRecord<>(
        Topics.CORPUS_REJECTED.name(),
        docId.getBytes(StandardCharsets.UTF_8),
        Topics.CORPUS_REJECTED.serialize(rejected));
  }

  private static String where(ErrorHandlerContext context) {
    return context.topic() == null
        ? "(punctuation of task " + context.taskId() + ")"
        : context.topic() + "-" + context.partition() + "@" + context.offset();
  }

  private static String describe(Throwable e) {
    String text = e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    return text.length() > 2000 ? text.substring(0, 2000) + "…" : text;
  }
}
