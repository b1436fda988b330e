package dev.refinery.tokenizer;

import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentIds;
import dev.refinery.schemas.ImageRef;
import dev.refinery.schemas.RecordDecodeException;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Decodes a clean document and encodes its text to token ids. At one tokenizing thread a slot
 * {@link InlineTokenize} calls {@link #tokenize} on the slot's task thread. With more, it runs on a
 * pool of threads of its own: the job runs it with Flink's ordered async I/O, so the documents of
 * one slot are tokenized in parallel and leave in the order they came (the packer, and so every
 * batch, is as with one thread; in-flight documents are in the checkpoint). What cannot go on
 * (bytes that do not decode, a stream this job does not write) is handed on as a rejection ({@link
 * TokenizedDocument#rejection}), which {@link RouteRejections} sends to the {@link #REJECTED} side
 * output.
 *
 * <p>The threads take documents in runs ({@link Runs}): a document that finds a thread idle starts
 * it at once, and one that finds every thread busy waits for the first to finish, which takes up to
 * {@link #RUN} waiting documents and completes their results together. One handoff a document woke
 * the slot's task thread once a document (16,600 times a second) and each tokenizing thread was
 * preempted 7,000 to 9,000 times a second; encoding, whose rank table must stay in the core's
 * caches, ran at 32 to 45 M characters a CPU second there against 103 M alone.
 */
final class TokenizeFunction extends RichAsyncFunction<RawRecord, TokenizedDocument> {
  private static final long serialVersionUID = 1L;

  static final OutputTag<RejectedDocument> REJECTED =
      new OutputTag<>("rejected", TypeInformation.of(RejectedDocument.class));

  private final TokenizerSpec spec;
  private final ChatTemplate template;
  private final ImageTokens imageTokens;
  private final int seqLen;
  private final Set<String> streams;
  private final int rejectedMaxBytes;
  private final int threads;
  private transient Tokenizer tokenizer;
  private transient ExecutorService pool;
  private transient Runs runs;

  /** The most documents a tokenizing thread takes at once. */
  static final int RUN = 16;

  /**
   * @param threads tokenizing threads of each slot
   */
  TokenizeFunction(
      TokenizerSpec spec,
      ChatTemplate template,
      ImageTokens imageTokens,
      int seqLen,
      List<String> streams,
      int rejectedMaxBytes,
      int threads) {
    this.spec = spec;
    this.template = template;
    this.imageTokens = imageTokens;
    this.seqLen = seqLen;
    this.streams = Set.copyOf(streams);
    this.rejectedMaxBytes = rejectedMaxBytes;
    this.threads = threads;
  }

  @Override
  public void open(OpenContext context) {
    start();
  }

  /** Loads the tokenizer, and starts the threads where there is more than one. */
  void start() {
    tokenizer = Tokenizer.of(spec);
    if (threads <= 1) {
      return;
    }
    AtomicInteger n = new AtomicInteger();
    pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "tokenize-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    runs = new Runs(threads, pool::execute, this::tokenizeAll);
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  @Override
  public void asyncInvoke(RawRecord record, ResultFuture<TokenizedDocument> result) {
    runs.add(new Waiting(record, result));
  }

  /** A document waiting for a tokenizing thread, and where its result goes. */
  record Waiting(RawRecord record, ResultFuture<TokenizedDocument> result) {}

  /**
   * Tokenizes a run of documents, then completes their results one after the other, so that the
   * task thread, woken by the first, finds the others done.
   */
  private void tokenizeAll(List<Waiting> run) {
    Object[] out = new Object[run.size()];
    for (int i = 0; i < out.length; i++) {
      try {
        out[i] = tokenize(run.get(i).record(), System.currentTimeMillis());
      } catch (Throwable t) {
        out[i] = t;
      }
    }
    for (int i = 0; i < out.length; i++) {
      ResultFuture<TokenizedDocument> result = run.get(i).result();
      if (out[i] instanceof TokenizedDocument doc) {
        result.complete(List.of(doc));
      } else {
        result.completeExceptionally((Throwable) out[i]);
      }
    }
  }

  /**
   * Hands waiting work to at most {@code threads} runs at a time: work that finds fewer runs going
   * starts one (on {@code executor}) at once; a run that finishes takes up to {@link #RUN} of what
   * waits, and ends only when nothing does. So nothing waits while a thread is idle, and under load
   * each handoff carries many documents.
   */
  static final class Runs {
    private final int threads;
    private final java.util.concurrent.Executor executor;
    private final java.util.function.Consumer<List<Waiting>> work;
    private final java.util.ArrayDeque<Waiting> waiting = new java.util.ArrayDeque<>();
    private int going;

    Runs(
        int threads,
        java.util.concurrent.Executor executor,
        java.util.function.Consumer<List<Waiting>> work) {
      this.threads = threads;
      this.executor = executor;
      this.work = work;
    }

    void add(Waiting w) {
      List<Waiting> start;
      synchronized (this) {
        waiting.add(w);
        if (going == threads) {
          return;
        }
        going++;
        start = take();
      }
      executor.execute(() -> run(start));
    }

    private void run(List<Waiting> first) {
      List<Waiting> next = first;
      try {
        while (true) {
          work.accept(next);
          synchronized (this) {
            if (waiting.isEmpty()) {
              going--;
              return;
            }
            next = take();
          }
        }
      } catch (RuntimeException | Error e) {
        // work completes its results, failed ones exceptionally, and does not throw; should it,
        // what waits is handed to a new run rather than left for no thread
        List<Waiting> rest;
        synchronized (this) {
          going--;
          if (waiting.isEmpty()) {
            throw e;
          }
          going++;
          rest = take();
        }
        executor.execute(() -> run(rest));
        throw e;
      }
    }

    /** Up to {@link #RUN} of the waiting work, oldest first; called holding the lock. */
    private List<Waiting> take() {
      int n = Math.min(RUN, waiting.size());
      List<Waiting> run = new java.util.ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        run.add(waiting.poll());
      }
      return run;
    }

    /** Runs going now (for tests). */
    synchronized int going() {
      return going;
    }
  }

  /** The record tokenized, or a rejection with its reason. */
  TokenizedDocument tokenize(RawRecord record, long now) {
    byte[] bytes = record.value == null ? new byte[0] : record.value;
    Document doc;
    try {
      doc = Topics.CORPUS_CLEAN.deserialize(record.value);
    } catch (SerializationException e) {
      return reject(now, record, null, RejectReason.UNDECODABLE, decodeFailure(e), bytes);
    }
    if (doc == null) {
      return reject(
          now,
          record,
          null,
          RejectReason.UNDECODABLE,
          "null value (tombstone) on " + record.topic,
          bytes);
    }
    String stream = doc.getSource().getStream();
    if (!streams.contains(stream)) {
      return reject(
          now,
          record,
          doc,
          RejectReason.UNKNOWN_STREAM,
          "stream '"
              + stream
              + "' of source "
              + doc.getSource().getName()
              + " is not one of "
              + TokenizerConfig.STREAMS
              + "="
              + streams
              + "; declare it and provision tokens."
              + stream
              + ".v1",
          bytes);
    }
    int[] ids;
    int[] lossRanges = null;
    TokenizedImage[] images = null;
    if (doc.getMessages() != null) {
      ChatTemplate.Rendered rendered = template.apply(doc.getMessages(), tokenizer);
      ids = rendered.tokens();
      lossRanges = rendered.lossRanges();
    } else if (!doc.getImages().isEmpty()) {
      images = new TokenizedImage[doc.getImages().size()];
      ids = withImages(doc, images);
    } else {
      ids = tokenizer.encode(doc.getText());
    }
    if (ids.length == 0) {
      return reject(
          now, record, doc, RejectReason.NO_TOKENS, "the text encodes to no tokens", bytes);
    }

    TokenizedDocument tokenized =
        new TokenizedDocument(
            doc.getId(),
            stream,
            SpanSource.of(doc.getSource()),
            ids,
            doc.getUrl() == null
                ? null
                : dev.refinery.runtime.takedowns.Takedowns.normalize(doc.getUrl()));
    tokenized.lossRanges = lossRanges;
    tokenized.images = images;
    return tokenized;
  }

  /**
   * The text's tokens with each image's block where the image stands: the text between two images
   * is encoded apart, so no token spans an image.
   */
  private int[] withImages(Document doc, TokenizedImage[] placed) {
    List<ImageRef> images = new java.util.ArrayList<>(doc.getImages());
    images.sort(java.util.Comparator.comparingInt(ImageRef::getOffset));
    String text = doc.getText();
    int[][] pieces = new int[images.size() + 1][];
    int[] lengths = new int[images.size()];
    int total = 0;
    int from = 0;
    for (int i = 0; i < images.size(); i++) {
      int to = Math.min(Math.max(images.get(i).getOffset(), from), text.length());
      pieces[i] = tokenizer.encode(text.substring(from, to));
      lengths[i] = imageTokens.length(images.get(i), seqLen);
      total += pieces[i].length + lengths[i];
      from = to;
    }
    pieces[images.size()] = tokenizer.encode(text.substring(from));
    total += pieces[images.size()].length;
    int[] ids = new int[total];
    int at = 0;
    for (int i = 0; i <= images.size(); i++) {
      System.arraycopy(pieces[i], 0, ids, at, pieces[i].length);
      at += pieces[i].length;
      if (i < images.size()) {
        ImageRef image = images.get(i);
        imageTokens.write(ids, at, lengths[i]);
        placed[i] =
            new TokenizedImage(
                image.getSha256(),
                image.getIndex(),
                at,
                lengths[i],
                image.getMediaType(),
                image.getWidth(),
                image.getHeight());
        at += lengths[i];
      }
    }
    return ids;
  }

  private TokenizedDocument reject(
      long now, RawRecord record, Document doc, RejectReason reason, String detail, byte[] bytes) {
    TokenizedDocument out = new TokenizedDocument();
    out.rejection =
        Topics.CORPUS_REJECTED.serialize(
            rejection(
                record,
                doc != null ? doc.getId() : null,
                doc != null ? doc.getSource() : null,
                reason,
                detail,
                bytes,
                rejectedMaxBytes,
                now));
    return out;
  }

  /** Why a record did not decode, as the decoder said it. */
  static String decodeFailure(SerializationException e) {
    return e.getCause() instanceof RecordDecodeException d ? d.getMessage() : e.getMessage();
  }

  /**
   * A record the tokenizer refuses, with its reason, where it was read and at most {@code maxBytes}
   * of its bytes; under {@code id}, or the record's key, or a hash of its bytes.
   */
  static RejectedDocument rejection(
      RawRecord record,
      String id,
      dev.refinery.schemas.Source source,
      RejectReason reason,
      String detail,
      byte[] bytes,
      int maxBytes,
      long now) {
    String key =
        id != null ? id : record.key != null ? record.key : DocumentIds.forBytes("unknown", bytes);
    RejectedDocument.Builder rejection =
        Rejections.of(
                key,
                Stage.TOKENIZER,
                reason.name(),
                detail,
                bytes,
                maxBytes,
                Instant.ofEpochMilli(now))
            .setLocation(record.location());
    if (source != null) {
      rejection.setSource(source);
    }
    return rejection.build();
  }
}
