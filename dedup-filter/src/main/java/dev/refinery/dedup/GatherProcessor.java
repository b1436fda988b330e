package dev.refinery.dedup;

import dev.refinery.runtime.images.PerceptualHash;
import dev.refinery.schemas.AvroCodec;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.ImageRef;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Rejections;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Topics;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Gathers a document and the answers of its keys (keyed by {@code <doc id>@<instance>}), and once
 * all have come, decides: a replay is dropped (its first record has had its outcome); a document
 * the screening step rejected gets that rejection; a document that shares its exact text, its URL
 * or a MinHash band with a smaller document is rejected as its duplicate ({@code dup_of}); anything
 * else is clean. The state of a document is deleted when it is decided.
 */
final class GatherProcessor implements Processor<String, byte[], String, Verdict> {
  /** The memory a task gives to the states of the documents it gathers ({@link RecentValues}). */
  static final long RECENT_BYTES = 1 << 20;

  /** How corpus.raw.v1, the gather topic and corpus.clean.v1 all encode a document. */
  private static final AvroCodec<Document> DOCUMENTS = AvroCodec.of(Document.class);

  /**
   * What a clean document without images is decided by: its id, and that it has none. Decoding the
   * whole document here again was 1.4 % of the stream thread in a CPU profile of {@code bench/run
   * dedup}, most of it its text made a String.
   */
  private static final AvroCodec<Document>.Projection HEADS = DOCUMENTS.projection("id", "images");

  private final DedupFilterConfig config;
  private final DedupMetrics metrics;
  private ProcessorContext<String, Verdict> context;

  /** {@code dedup-gathering}: read at each answer, written a moment before. */
  private final RecentValues<String> gathering = RecentValues.ofStrings(RECENT_BYTES);

  private KeyValueStore<String, byte[]> documents;

  /** The partitions of the gather topic (those of raw), over which documents are gathered. */
  private final int partitions;

  /** This task's partition: it gathers the documents the screening of raw's partition read. */
  private int partition;

  /** The punctuation, run once, that sends on what an earlier build left here. */
  private Cancellable moving;

  private final Punctuations punctuations = new Punctuations();

  GatherProcessor(DedupFilterConfig config, DedupMetrics metrics, int partitions) {
    this.config = config;
    this.metrics = metrics;
    this.partitions = partitions;
  }

  @Override
  public void init(ProcessorContext<String, Verdict> context) {
    this.context = context;
    this.partition = context.taskId().partition();
    this.gathering.attach(context.getStateStore(DedupFilterTopology.GATHER_STORE));
    this.documents = context.getStateStore(DedupFilterTopology.DOCUMENT_STORE);
    // once, as soon as the task runs: what an earlier build left here (it spread documents over the
    // gather topic by their key's hash) goes on to the task that now gathers it
    punctuations.cancelAll();
    moving = punctuations.schedule(context, Duration.ofMillis(1), now -> moveGatheredElsewhere());
  }

  @Override
  public void close() {
    punctuations.cancelAll();
  }

  @Override
  public void process(Record<String, byte[]> record) {
    String key = record.key();
    if (gatheredElsewhere(key) && record.headers().lastHeader(MOVED) == null) {
      context.forward(moved(record.withValue(Verdict.elsewhere(record.value()))));
      return;
    }
    byte[] before = gathering.get(key);
    State state = State.read(before);
    // whether the store has a state to delete once the document is decided
    boolean stored = before != null && !state.held;
    Gather message = Gather.decode(record.value());
    Gather.Doc doc = null;
    byte[] docMessage = null;
    if (message instanceof Gather.Doc d) {
      doc = d;
      docMessage = record.value();
      state.expected = d.expected();
    } else if (message instanceof Gather.Answers all) {
      all.answers().forEach(state::add);
    } else if (message instanceof Gather.Moved moved) {
      state.merge(State.read(moved.state()));
      if (moved.document().length > 0) {
        docMessage = moved.document();
        doc = (Gather.Doc) Gather.decode(docMessage);
      }
    } else {
      state.add((Gather.Answer) message);
    }
    if (state.expected < 0 && doc == null) {
      // no state says how many answers the document waits for: either it has not come (an earlier
      // build's answer before it), or it waits with nothing gathered, its state held in memory only
      // and gone (a restart, the memory's bound): then the waiting document says
      byte[] waiting = documents.get(key);
      if (waiting != null) {
        doc = (Gather.Doc) Gather.decode(waiting);
        state.expected = doc.expected();
      }
    }
    if (state.expected < 0 || state.received < state.expected) {
      if (docMessage != null) {
        // the document waits apart from the answers: written once, not with each answer
        documents.put(key, docMessage);
      }
      if (docMessage != null && state.received == 0) {
        // nothing gathered yet, so nothing the document does not say itself: the state reaches
        // the store with the first answer (a write less a document)
        gathering.hold(key, state.writeHeld());
      } else {
        gathering.put(key, state.write());
      }
      return;
    }
    if (stored) {
      gathering.delete(key);
    } else {
      // decided at its first answer (it waited for one), or from what another task sent on: the
      // store has no state of it, and a deletion would only add one to the changelog
      gathering.drop(key);
    }
    if (doc == null) {
      doc = (Gather.Doc) Gather.decode(documents.get(key));
    }
    if (docMessage == null) {
      documents.put(key, null); // a delete that does not read the value again first
    }
    decide(state, doc);
  }

  /** Whether another task gathers the document of this key. */
  private boolean gatheredElsewhere(String key) {
    return DedupFilterTopology.gatherPartition(key, partitions) != partition;
  }

  /**
   * Sends on, as {@link Gather.Moved} messages, the state of every document this task holds that
   * another task gathers, and deletes it here. After an upgrade from a build that gathered by the
   * key's hash, that is what was undecided then; after that, nothing (the scan reads a store of the
   * documents waiting for their answers, once when the task starts).
   */
  private void moveGatheredElsewhere() {
    moving.cancel();
    List<String> elsewhere = new ArrayList<>();
    KeyValueStore<String, byte[]> store = context.getStateStore(DedupFilterTopology.GATHER_STORE);
    try (KeyValueIterator<String, byte[]> all = store.all()) {
      while (all.hasNext()) {
        String key = all.next().key;
        if (gatheredElsewhere(key)) {
          elsewhere.add(key);
        }
      }
    }
    long now = context.currentSystemTimeMs();
    for (String key : elsewhere) {
      byte[] document = documents.get(key);
      byte[] message =
          Gather.encode(
              new Gather.Moved(gathering.get(key), document == null ? new byte[0] : document));
      context.forward(moved(new Record<>(key, Verdict.elsewhere(message), now)));
      gathering.delete(key);
      documents.put(key, null);
    }
  }

  /**
   * The record with the header that marks it sent on once: the task it reaches gathers it, whatever
   * its key says, so that no record goes round (the test driver has one partition of every topic).
   */
  private static Record<String, Verdict> moved(Record<String, Verdict> record) {
    Headers headers = new RecordHeaders(record.headers().toArray());
    headers.add(MOVED, new byte[0]);
    return record.withHeaders(headers);
  }

  /** The header of a gather message that was sent on to the task that gathers its document. */
  static final String MOVED = "refinery.gather.moved";

  private void decide(State state, Gather.Doc gathered) {
    if (state.replay) {
      metrics.replay();
      return;
    }
    long now = context.currentSystemTimeMs();
    if (gathered.rejected()) {
      RejectedDocument rejection = Topics.CORPUS_REJECTED.deserialize(gathered.rejection());
      metrics.rejected(rejection.getRule(), rejection.getReason());
      context.forward(new Record<>(rejection.getDocId(), Verdict.reject(rejection), now));
      return;
    }
    if (cleanWithoutItsText(state, gathered)) {
      GenericRecord head = HEADS.decode(gathered.document());
      if (((Collection<?>) head.get("images")).isEmpty()) {
        metrics.clean();
        context.forward(
            new Record<>(head.get("id").toString(), Verdict.accept(gathered.document()), now));
        return;
      }
    }
    Document doc = Topics.CORPUS_RAW.deserialize(gathered.document());
    Duplicate duplicate = duplicate(state, doc);
    List<RejectedDocument> refused = new ArrayList<>();
    // the screen encoded the document as the clean topic takes it; only images() changes it here
    boolean unchanged = doc.getImages().isEmpty();
    if (duplicate == null && !unchanged) {
      duplicate = images(state, doc, now, refused);
    }
    if (duplicate == null) {
      for (byte[] r : gathered.refusedImages()) {
        refused.add(Topics.CORPUS_REJECTED.deserialize(r));
      }
      for (RejectedDocument r : refused) {
        // one image of the document: it goes on without it
        metrics.rejected(r.getRule(), r.getReason());
        context.forward(new Record<>(doc.getId(), Verdict.reject(r), now));
      }
      metrics.clean();
      boolean passOn = unchanged && DOCUMENTS.writtenByThisSchema(gathered.document());
      context.forward(
          new Record<>(
              doc.getId(),
              passOn ? Verdict.accept(gathered.document()) : Verdict.accept(doc),
              now));
      return;
    }
    metrics.rejected(duplicate.rule(), duplicate.reason().name());
    context.forward(
        new Record<>(
            doc.getId(),
            Verdict.reject(
                Rejections.of(
                        doc.getId(),
                        Stage.DEDUP_FILTER,
                        duplicate.reason().name(),
                        duplicate.detail(),
                        gathered.document(),
                        config.rejectedMaxBytes(),
                        Instant.ofEpochMilli(now))
                    .setRule(duplicate.rule())
                    .setDupOf(duplicate.of().docId())
                    .setMeasured(duplicate.measured())
                    .setThreshold(duplicate.threshold())
                    .setSource(doc.getSource())
                    .build()),
            now));
  }

  /**
   * Whether the answers make the document clean without its text (no smaller holder of its exact
   * key, its URL or a band; {@link #duplicate} hashes the text only to tell a URL's or a band's
   * holder with the same text), nothing of it was refused, and its bytes are what the clean topic
   * takes: then only its id and whether it has images are read of it, not its text, signals and the
   * rest, which it goes on with as it came.
   */
  private static boolean cleanWithoutItsText(State state, Gather.Doc gathered) {
    return state.exact == null
        && state.url == null
        && state.near == null
        && gathered.refusedImages().isEmpty()
        && DOCUMENTS.writtenByThisSchema(gathered.document());
  }

  /**
   * Takes the duplicate images out of the document, adding a refusal for each to {@code refused}.
   *
   * @return why the whole document is a duplicate: it has no text, and every image it had left is a
   *     duplicate of a smaller document's; else {@code null}
   */
  private Duplicate images(State state, Document doc, long now, List<RejectedDocument> refused) {
    List<ImageRef> kept = new ArrayList<>();
    Duplicate last = null;
    for (ImageRef image : doc.getImages()) {
      Member exact = state.imageExact.get(image.getIndex());
      Member near = exact != null ? null : state.imageNear.get(image.getIndex());
      if (exact == null && near == null) {
        kept.add(image);
        continue;
      }
      Member of = exact != null ? exact : near;
      int distance = PerceptualHash.distance(of.textHash(), image.getPhash());
      last =
          exact != null
              ? new Duplicate(
                  "image_dedup",
                  RejectReason.IMAGE_EXACT_DUPLICATE,
                  of,
                  "image "
                      + image.getIndex()
                      + " has the same bytes as image "
                      + of.part()
                      + " of "
                      + of.docId()
                      + ", a smaller (event time, id)",
                  null,
                  null)
              : new Duplicate(
                  "image_dedup",
                  RejectReason.IMAGE_NEAR_DUPLICATE,
                  of,
                  "image "
                      + image.getIndex()
                      + " is "
                      + distance
                      + " bits of its 64-bit perceptual hash from image "
                      + of.part()
                      + " of "
                      + of.docId()
                      + ", a smaller (event time, id)",
                  (double) distance,
                  (double) config.imageNearDistance());
      refused.add(
          Rejections.of(
                  doc.getId(),
                  Stage.DEDUP_FILTER,
                  last.reason().name(),
                  last.detail(),
                  new byte[0],
                  config.rejectedMaxBytes(),
                  Instant.ofEpochMilli(now))
              .setRule(last.rule())
              .setDupOf(of.docId())
              .setMeasured(last.measured())
              .setThreshold(last.threshold())
              .setSource(doc.getSource())
              .setImageIndex(image.getIndex())
              .setImageSha256(image.getSha256())
              .build());
    }
    if (kept.isEmpty() && doc.getText().isBlank()) {
      // nothing of it is new: the document is the duplicate, its images go with it
      refused.clear();
      return new Duplicate(
          last.rule(),
          last.reason(),
          last.of(),
          "every image is a duplicate and there is no text; " + last.detail(),
          last.measured(),
          last.threshold());
    }
    doc.setImages(kept);
    doc.getSignals().put("images", (double) kept.size());
    return null;
  }

  /** Why a document is a duplicate, of which smaller one. */
  record Duplicate(
      String rule,
      RejectReason reason,
      Member of,
      String detail,
      Double measured,
      Double threshold) {}

  /**
   * What the gathered answers make of a document: a duplicate of a smaller one (exact, URL or near,
   * in that order of precedence), or {@code null} when it is clean.
   */
  Duplicate duplicate(State state, Document doc) {
    Member sameText = state.exact != null ? state.exact : sameText(state, doc);
    if (sameText != null) {
      // exact wins, whichever of the copy's keys met the smaller document first: the reason does
      // not depend on the order in which the keys' answers arrived
      return new Duplicate(
          "exact_dedup",
          RejectReason.EXACT_DUPLICATE,
          sameText,
          "same normalized text as " + sameText.docId() + ", a smaller (event time, id)",
          null,
          null);
    }
    if (state.url != null) {
      return new Duplicate(
          "url_dedup",
          RejectReason.URL_DUPLICATE,
          state.url,
          "same URL as " + state.url.docId() + ", a smaller (event time, id)",
          null,
          null);
    }
    if (state.near != null) {
      return new Duplicate(
          "near_dedup",
          RejectReason.NEAR_DUPLICATE,
          state.near,
          "shares "
              + state.bandsShared
              + " of "
              + config.bands()
              + " MinHash bands ("
              + config.rows()
              + " rows of "
              + config.ngram()
              + "-word shingles each) with "
              + state.near.docId()
              + ", a smaller (event time, id)",
          (double) state.bandsShared,
          1.0);
    }
    return null;
  }

  /**
   * The smaller document found through the URL or a band whose text is this one's (their text
   * hashes match, as far as the stored holder keeps them: {@link Member#sameText}), or {@code
   * null}.
   */
  private static Member sameText(State state, Document doc) {
    if (state.url == null && state.near == null) {
      return null;
    }
    long own = TextFingerprint.hash64(TextFingerprint.of(doc.getText()));
    Member found = null;
    for (Member m : new Member[] {state.url, state.near}) {
      if (m != null
          && Member.sameText(m.textHash(), own)
          && (found == null || m.compareTo(found) < 0)) {
        found = m;
      }
    }
    return found;
  }

  /**
   * What has been gathered of one document, stored in {@code dedup-gathering}. Version 1: {@code
   * 0x01}, then expected, received (int32), replay (bool), bands shared (int32), and the exact, URL
   * and near members, each as its length (int32) and {@link Member} bytes. Version 0 (before 0.2)
   * lacks the leading byte; its first byte is that of {@code expected} ({@code 0x00}, or {@code
   * 0xFF} for -1), so both are read. Version 2, written once an image has an answer, adds their
   * count (int32) and each as its kind ({@code m} same bytes, {@code q} near), index (int16) and
   * member (length, bytes). A state held in memory only, never stored ({@link RecentValues#hold}),
   * is version 1 with {@link #HELD} for its leading byte.
   */
  static final class State {
    static final byte VERSION = 1;

    /** The version written when images have answers: version 1 and the images' members. */
    static final byte IMAGE_VERSION = 2;

    /** The leading byte of a state held in memory only, else version 1. */
    static final byte HELD = 0x11;

    /** Whether the state was read from memory only: the store has none. */
    boolean held;

    /** Answers awaited; -1 until the document has come. */
    int expected = -1;

    int received;
    boolean replay;
    Member exact;
    Member url;
    Member near;
    int bandsShared;

    /** By image index: the smallest document holding the same image bytes. */
    final Map<Integer, Member> imageExact = new TreeMap<>();

    /** By image index: the smallest document holding a near-duplicate image. */
    final Map<Integer, Member> imageNear = new TreeMap<>();

    void add(Gather.Answer answer) {
      received++;
      replay |= answer.replay();
      Member smaller = answer.smaller();
      if (smaller == null) {
        return;
      }
      switch (answer.kind()) {
        case EXACT -> exact = min(exact, smaller);
        case URL -> url = min(url, smaller);
        case BAND -> {
          near = min(near, smaller);
          bandsShared++;
        }
        case IMAGE -> imageExact.merge(answer.part(), smaller, State::min);
        case IMAGE_BAND -> imageNear.merge(answer.part(), smaller, State::min);
        case ID -> {}
      }
    }

    /** Adds what another task had gathered of the same document. */
    void merge(State other) {
      if (other.expected >= 0) {
        expected = other.expected;
      }
      received += other.received;
      replay |= other.replay;
      exact = min(exact, other.exact);
      url = min(url, other.url);
      near = min(near, other.near);
      bandsShared += other.bandsShared;
      other.imageExact.forEach((part, m) -> imageExact.merge(part, m, State::min));
      other.imageNear.forEach((part, m) -> imageNear.merge(part, m, State::min));
    }

    private static Member min(Member a, Member b) {
      if (b == null) {
        return a;
      }
      return a == null || b.compareTo(a) < 0 ? b : a;
    }

    /** The state as {@link RecentValues#hold} keeps it: never stored, told apart when read. */
    byte[] writeHeld() {
      byte[] bytes = write();
      if (bytes[0] != VERSION) {
        throw new IllegalStateException("only a state without images is held: " + bytes[0]);
      }
      bytes[0] = HELD;
      return bytes;
    }

    byte[] write() {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      boolean images = !imageExact.isEmpty() || !imageNear.isEmpty();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeByte(images ? IMAGE_VERSION : VERSION);
        out.writeInt(expected);
        out.writeInt(received);
        out.writeBoolean(replay);
        out.writeInt(bandsShared);
        for (Member m : new Member[] {exact, url, near}) {
          byte[] b = m == null ? new byte[0] : m.toBytes();
          out.writeInt(b.length);
          out.write(b);
        }
        if (images) {
          out.writeInt(imageExact.size() + imageNear.size());
          for (Map<Integer, Member> found : List.of(imageExact, imageNear)) {
            for (Map.Entry<Integer, Member> e : found.entrySet()) {
              out.writeByte(found == imageExact ? 'm' : 'q');
              out.writeShort(e.getKey());
              byte[] b = e.getValue().toBytes();
              out.writeInt(b.length);
              out.write(b);
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return bytes.toByteArray();
    }

    static State read(byte[] bytes) {
      State s = new State();
      if (bytes == null) {
        return s;
      }
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
        if (bytes[0] == VERSION || bytes[0] == IMAGE_VERSION || bytes[0] == HELD) {
          s.held = bytes[0] == HELD;
          in.readByte();
        } else if (bytes[0] != 0 && bytes[0] != (byte) 0xFF) {
          throw new IllegalArgumentException("unknown gather state version " + bytes[0]);
        }
        s.expected = in.readInt();
        s.received = in.readInt();
        s.replay = in.readBoolean();
        s.bandsShared = in.readInt();
        Member[] members = new Member[3];
        for (int i = 0; i < 3; i++) {
          byte[] b = in.readNBytes(in.readInt());
          members[i] = b.length == 0 ? null : Member.fromBytes(b);
        }
        s.exact = members[0];
        s.url = members[1];
        s.near = members[2];
        if (bytes[0] == IMAGE_VERSION) {
          int n = in.readInt();
          for (int i = 0; i < n; i++) {
            char kind = (char) in.readByte();
            int part = in.readShort() & 0xFFFF;
            Member m = Member.fromBytes(in.readNBytes(in.readInt()));
            (kind == 'm' ? s.imageExact : s.imageNear).put(part, m);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return s;
    }
  }
}
