package dev.refinery.runtime.audit;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicReader;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.DocumentSpan;
import dev.refinery.schemas.ImagePlacement;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.TokenBatch;
import dev.refinery.schemas.TokenBytes;
import dev.refinery.schemas.TopicBinding;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Invariant 1 checked on any cluster (docs/concepts.md): where every document that ingest accepted
 * ended, from the committed contents of the topics (read_committed): in the spans of token batches,
 * every token once, or in one rejection by a later stage. A document in two places, rejected twice
 * or with a token twice is a violation (duplicated); one in neither is in flight while the pipeline
 * runs, and lost once it has drained. {@code refinery audit} prints it.
 *
 * <p>It holds what it accounts of every document of {@code corpus.raw.v1} and of every token batch
 * in memory: ids, sizes, spans and images, under a kilobyte a document, but not texts, tokens or
 * the originals of rejections. That suits audits of test and staging clusters and of retention
 * windows of millions of documents, not of a whole pre-training corpus.
 */
public final class PipelineAudit {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final java.nio.ByteBuffer EMPTY = java.nio.ByteBuffer.allocate(0);

  private final Map<String, RawDocument> documents = new LinkedHashMap<>();
  private final List<RejectedDocument> rejected = new ArrayList<>();
  private final Map<String, List<Batch>> batches = new TreeMap<>();

  /** Each stream's batch of the smallest index read, whole: the one batch whose tokens are kept. */
  private final Map<String, TokenBatch> first = new TreeMap<>();

  /** One copy of each source name, shared by the documents of the source. */
  private final Map<String, String> sourceNames = new HashMap<>();

  /** The streams whose batches came out of order since {@link #batches} last sorted them. */
  private final Set<String> unsorted = new HashSet<>();

  private final Map<String, Integer> rejections = new HashMap<>();
  private final Map<String, Integer> covered = new HashMap<>();
  private final Map<String, Integer> docTokens = new HashMap<>();

  /**
   * The documents of {@link #documents} that ended in exactly one place, kept as records come: a
   * caller waiting for the pipeline to drain asks after every read, and counting them all each time
   * cost a pass over every document read so far (145,000 in {@code bench/run pipeline}, five times
   * a second).
   */
  private long accountedCount;

  PipelineAudit(Collection<String> streams) {
    streams.forEach(stream -> batches.put(stream, new ArrayList<>()));
  }

  /**
   * What the audit keeps of a document of {@code corpus.raw.v1}.
   *
   * @param chars the length of its text
   * @param images the indexes of the images it references
   */
  public record RawDocument(
      String id, String source, String nativeId, String url, int chars, List<Integer> images) {}

  /**
   * What the audit keeps of a token batch: its shape, spans and images, not its tokens.
   *
   * @param rowWidth positions in each sequence ({@link TokenBytes#rowWidth})
   */
  public record Batch(
      long index,
      int sequences,
      int rowWidth,
      int padding,
      List<DocumentSpan> spans,
      List<ImagePlacement> images) {
    static Batch of(TokenBatch b) {
      return new Batch(
          b.getBatchIndex(),
          b.getNumSequences(),
          TokenBytes.rowWidth(b),
          b.getPadding(),
          List.copyOf(b.getSpans()),
          List.copyOf(b.getImages()));
    }
  }

  void add(Document d) {
    if (documents.containsKey(d.getId())) {
      return;
    }
    String source = sourceNames.computeIfAbsent(d.getSource().getName(), n -> n);
    List<Integer> images = new ArrayList<>(d.getImages().size());
    d.getImages().forEach(i -> images.add(i.getIndex()));
    documents.put(
        d.getId(),
        new RawDocument(
            d.getId(),
            source,
            d.getNativeId(),
            d.getUrl(),
            d.getText().length(),
            List.copyOf(images)));
    // its outcome may have been read before it (the topics are read side by side)
    recount(d.getId(), false);
  }

  void add(RejectedDocument r) {
    // the audit counts rejections by reason: the original's bytes are not kept
    r.setOriginal(EMPTY);
    rejected.add(r);
    // a refused image is not its document's outcome: the document went on without it
    if (r.getStage() != Stage.INGEST && r.getImageIndex() == null) {
      boolean was = accountedDocument(r.getDocId());
      rejections.merge(r.getDocId(), 1, Integer::sum);
      recount(r.getDocId(), was);
    }
  }

  /** Whether a document read from raw ended in exactly one place. */
  private boolean accountedDocument(String id) {
    return documents.containsKey(id) && accounted(id);
  }

  /** Brings {@link #accountedCount} up to date after a change to what is known of {@code id}. */
  private void recount(String id, boolean was) {
    boolean is = accountedDocument(id);
    if (is != was) {
      accountedCount += is ? 1 : -1;
    }
  }

  void add(String stream, TokenBatch b) {
    List<Batch> list = batches.get(stream);
    if (!list.isEmpty() && list.get(list.size() - 1).index() > b.getBatchIndex()) {
      unsorted.add(stream);
    }
    list.add(Batch.of(b));
    TokenBatch kept = first.get(stream);
    if (kept == null || kept.getBatchIndex() > b.getBatchIndex()) {
      first.put(stream, b);
    }
    for (DocumentSpan s : b.getSpans()) {
      boolean was = accountedDocument(s.getDocId());
      covered.merge(s.getDocId(), s.getLength(), Integer::sum);
      docTokens.put(s.getDocId(), s.getDocTokens());
      recount(s.getDocId(), was);
    }
  }

  /** Reads the topics as they are now: all at once, by one consumer of all their partitions. */
  public static PipelineAudit read(KafkaClients clients, Collection<String> streams) {
    try (Follower follower = new Follower(clients, streams)) {
      return follower.read();
    }
  }

  /**
   * Follows the topics with one consumer and audits what has been committed so far at each {@link
   * #read}: each read costs what came since the last one, not the topics whole, so a caller that
   * waits for the pipeline to drain (the demo, {@code bench/run pipeline}) sees it drain when it
   * does, without the audit taking the cores the pipeline runs on.
   */
  public static final class Follower implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, TopicBinding<String, ?>> bindings = new HashMap<>();
    private final PipelineAudit audit;

    /**
     * @throws IllegalStateException if a topic does not exist
     */
    public Follower(KafkaClients clients, Collection<String> streams) {
      bindings.put(Topics.CORPUS_RAW.name(), Topics.CORPUS_RAW);
      bindings.put(Topics.CORPUS_REJECTED.name(), Topics.CORPUS_REJECTED);
      for (String stream : streams) {
        bindings.put(Topics.tokens(stream).name(), Topics.tokens(stream));
      }
      this.audit = new PipelineAudit(streams);
      // a fetch waits at most 0.1 s for data at the broker: the follower stops polling once it has
      // read to the ends, and closing waited for the fetch still out, 0.5 s by default
      this.consumer =
          TopicReader.consumer(
              clients,
              "refinery-audit-" + java.util.UUID.randomUUID(),
              Topics.LARGE_MESSAGE_BYTES,
              Map.of(
                  org.apache.kafka.clients.consumer.ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100));
      List<TopicPartition> all = new ArrayList<>();
      for (String topic : bindings.keySet()) {
        List<org.apache.kafka.common.PartitionInfo> infos =
            consumer.partitionsFor(topic, READ_TIMEOUT);
        if (infos == null || infos.isEmpty()) {
          consumer.close();
          throw new IllegalStateException(
              "topic "
                  + topic
                  + " does not exist at "
                  + clients.bootstrapServers()
                  + ": run `refinery topics` or `refinery up` first");
        }
        infos.forEach(i -> all.add(new TopicPartition(i.topic(), i.partition())));
      }
      consumer.assign(all);
      consumer.seekToBeginning(all);
    }

    /**
     * Reads what was committed since the last read and audits everything read so far. Every read
     * returns the same audit, brought up to date: one kept from an earlier read sees the later
     * records too.
     */
    public PipelineAudit read() {
      Set<TopicPartition> partitions = consumer.assignment();
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, READ_TIMEOUT);
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "could not read the topics to their end in " + READ_TIMEOUT);
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          Object value;
          try {
            value = bindings.get(r.topic()).deserialize(r.value());
          } catch (RuntimeException e) {
            continue; // not a record of its schema: what the stages reject, not the audit's
          }
          if (value instanceof Document d) {
            audit.add(d);
          } else if (value instanceof RejectedDocument rd) {
            audit.add(rd);
          } else if (value instanceof TokenBatch b) {
            audit.add(Topics.streamOf(r.topic()), b);
          }
        }
      }
      return audit;
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Documents that ended in exactly one place. */
  public long accountedFor() {
    return accountedCount;
  }

  /** Documents found in two places, or with a token twice: breaches of invariant 1. */
  public List<String> violations() {
    List<String> out = new ArrayList<>();
    for (String id : documents.keySet()) {
      int r = rejections.getOrDefault(id, 0);
      int c = covered.getOrDefault(id, 0);
      if (r > 1) {
        out.add(id + " rejected " + r + " times");
      } else if (r == 1 && c > 0) {
        out.add(id + " rejected and in token spans");
      } else if (c > docTokens.getOrDefault(id, Integer.MAX_VALUE)) {
        out.add(
            id + " has " + c + " tokens in spans of a " + docTokens.get(id) + "-token document");
      }
    }
    return out;
  }

  private boolean accounted(String id) {
    int r = rejections.getOrDefault(id, 0);
    int c = covered.getOrDefault(id, 0);
    return (r == 1 && c == 0) || (r == 0 && docTokens.containsKey(id) && c == docTokens.get(id));
  }

  /** The documents not yet accounted for, with what is known of each. */
  public List<String> inFlight() {
    List<String> out = new ArrayList<>();
    for (RawDocument d : documents.values()) {
      if (!accounted(d.id())) {
        out.add(
            d.id()
                + " of "
                + d.source()
                + " ("
                + d.chars()
                + " chars): "
                + rejections.getOrDefault(d.id(), 0)
                + " rejections, "
                + covered.getOrDefault(d.id(), 0)
                + " tokens in spans"
                + (docTokens.containsKey(d.id()) ? " of " + docTokens.get(d.id()) : ""));
      }
    }
    return out;
  }

  public boolean drained() {
    return accountedFor() == documents.size();
  }

  /**
   * Rejections of documents (not of single images: see {@link #images()}) by a stage, by reason.
   */
  public Map<String, Long> rejectedBy(Stage stage) {
    Map<String, Long> out = new TreeMap<>();
    rejected.stream()
        .filter(r -> r.getStage() == stage && r.getImageIndex() == null)
        .forEach(r -> out.merge(r.getReason(), 1L, Long::sum));
    return out;
  }

  /**
   * Where the images of the documents ended (invariant 1, for images): each image a document of
   * corpus.raw.v1 references is in a token batch, or refused by a later stage with its document
   * going on, or rejected with its whole document: exactly one of these.
   *
   * @param images images the raw documents reference
   * @param delivered in token batches
   * @param refused refused on their own after ingest, by reason
   * @param withTheirDocument rejected with their document
   * @param violations images found in more than one place
   * @param inFlight images in none yet
   */
  public record ImageAccount(
      long images,
      long delivered,
      Map<String, Long> refused,
      long withTheirDocument,
      List<String> violations,
      long inFlight) {}

  /** Where the images of the raw documents ended. */
  public ImageAccount images() {
    Map<String, Integer> places = new HashMap<>();
    for (RawDocument d : documents.values()) {
      d.images().forEach(i -> places.put(d.id() + "#" + i, 0));
    }
    if (places.isEmpty()) {
      return new ImageAccount(0, 0, Map.of(), 0, List.of(), 0);
    }
    long delivered = 0;
    for (List<Batch> stream : batches.values()) {
      for (Batch b : stream) {
        for (ImagePlacement p : b.images()) {
          places.computeIfPresent(p.getDocId() + "#" + p.getIndex(), (k, n) -> n + 1);
          delivered++;
        }
      }
    }
    Map<String, Long> refused = new TreeMap<>();
    for (RejectedDocument r : rejected) {
      if (r.getImageIndex() != null && r.getStage() != Stage.INGEST) {
        places.computeIfPresent(r.getDocId() + "#" + r.getImageIndex(), (k, n) -> n + 1);
        refused.merge(r.getReason(), 1L, Long::sum);
      }
    }
    long withDocument = 0;
    for (RawDocument d : documents.values()) {
      if (rejections.getOrDefault(d.id(), 0) > 0) {
        for (int i : d.images()) {
          places.merge(d.id() + "#" + i, 1, Integer::sum);
          withDocument++;
        }
      }
    }
    List<String> violations = new ArrayList<>();
    long inFlight = 0;
    for (Map.Entry<String, Integer> e : places.entrySet()) {
      if (e.getValue() > 1) {
        violations.add("image " + e.getKey() + " is in " + e.getValue() + " places");
      } else if (e.getValue() == 0) {
        inFlight++;
      }
    }
    return new ImageAccount(places.size(), delivered, refused, withDocument, violations, inFlight);
  }

  /** Documents that dedup-filter did not reject: those it wrote to corpus.clean.v1. */
  public long clean() {
    Set<String> rejectedByDedup = new HashSet<>();
    rejected.stream()
        .filter(r -> r.getStage() == Stage.DEDUP_FILTER && r.getImageIndex() == null)
        .forEach(r -> rejectedByDedup.add(r.getDocId()));
    return documents.keySet().stream().filter(id -> !rejectedByDedup.contains(id)).count();
  }

  public Set<String> streams() {
    return batches.keySet();
  }

  /** Every document of corpus.raw.v1, by id, in the order read. */
  public Map<String, RawDocument> documents() {
    return java.util.Collections.unmodifiableMap(documents);
  }

  /** Every rejection on corpus.rejected.v1, without its original's bytes. */
  public List<RejectedDocument> rejected() {
    return java.util.Collections.unmodifiableList(rejected);
  }

  /** Each stream's batch of the smallest index, tokens and all; absent while it has none. */
  public java.util.Optional<TokenBatch> firstBatch(String stream) {
    return java.util.Optional.ofNullable(first.get(stream));
  }

  /** The token batches of each stream, by batch index. */
  public Map<String, List<Batch>> batches() {
    for (String stream : unsorted) {
      batches.get(stream).sort(java.util.Comparator.comparingLong(Batch::index));
    }
    unsorted.clear();
    Map<String, List<Batch>> out = new TreeMap<>();
    batches.forEach(
        (stream, list) -> out.put(stream, java.util.Collections.unmodifiableList(list)));
    return java.util.Collections.unmodifiableMap(out);
  }
}
