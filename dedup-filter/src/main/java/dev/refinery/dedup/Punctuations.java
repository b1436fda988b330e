package dev.refinery.dedup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * The wall-clock punctuations a processor has scheduled, cancelled together when it closes. Kafka
 * Streams keeps a task's punctuations when it revives the task (closed dirty after an aborted
 * transaction, then initialised again, processors and all): without this, every revival would add a
 * second copy of each punctuation a processor schedules in {@code init}.
 */
final class Punctuations {
  private final List<Cancellable> scheduled = new ArrayList<>();

  /** Schedules {@code punctuator} every {@code interval} of the wall clock. */
  Cancellable schedule(ProcessorContext<?, ?> context, Duration interval, Punctuator punctuator) {
    Cancellable cancellable =
        context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, punctuator);
    scheduled.add(cancellable);
    return cancellable;
  }

  /** Cancels one punctuation scheduled here, and forgets it. */
  void cancel(Cancellable cancellable) {
    cancellable.cancel();
    scheduled.remove(cancellable);
  }

  /** Cancels every punctuation scheduled here (cancelling one twice does nothing). */
  void cancelAll() {
    scheduled.forEach(Cancellable::cancel);
    scheduled.clear();
  }
}
