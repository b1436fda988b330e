package dev.refinery.dedup;

import dev.refinery.runtime.images.PerceptualHash;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The dedup keys, each in the task its key hashes to. The store keeps, for every key ever seen, the
 * smallest (event time, id) document that held it; that is all the history dedup needs. A
 * document's answer for a key is given after a hold ({@code dedup.hold.ms}): a smaller document
 * that arrives within it, through another partition, is seen, and the smaller one survives whatever
 * the arrival order (invariant 3). Answers wait in a store ordered by due time, so they survive a
 * restart.
 *
 * <p>A replay key ({@link DedupKey.Kind#ID}) keeps the first record that carried the document and
 * answers at once: the same document in another record is a replay.
 */
final class BucketProcessor implements Processor<String, byte[], String, byte[]> {
  /** Keys looked at by one expiry pass (one a second), so a pass never holds the thread long. */
  static final int EXPIRY_BATCH = 10_000;

  private final long holdMs;
  private final long holdMaxMs;
  private final int rawPartitions;
  private final long expireAfterMs;
  private final int imageDistance;
  private final int imageHolders;
  private ProcessorContext<String, byte[]> context;
  private KeyValueStore<Bytes, byte[]> smallest;
  private KeyValueStore<Bytes, byte[]> pending;

  /** How far this task has seen each raw partition read, since it started (keys and marks). */
  private ReadProgress progress;

  /** The latest event time of a document this task has seen since it started. */
  private long newestEventTime = Long.MIN_VALUE;

  /**
   * No held answer is due before this: where the next {@link #answerDue} pass starts reading {@code
   * dedup-pending}, so that it seeks past the deleted answers of the passes before instead of
   * stepping over each of them (RocksDB keeps a deletion until compaction, and a scan from the
   * start of the store met every one). Every hold lowers it to its due time, so a wall clock set
   * back loses no answer. {@link Long#MIN_VALUE} after {@link #init}: the whole store.
   */
  private long pendingFrom = Long.MIN_VALUE;

  /**
   * {@code dedup-smallest} with the keys this task took lately in memory: each is read again when
   * its answer is given, a hold later.
   */
  private final RecentValues<Bytes> recent;

  /**
   * Whether {@code dedup-smallest} still has keys as builds before {@link DedupKey#storeKey} kept
   * them, looked up where a key is not found in its own form; null until first asked after {@link
   * #init}.
   */
  private Boolean legacyKeys;

  /**
   * The most held answers one {@link #answerDue} pass gives ({@code dedup.hold.answers.per.pass}).
   * Under a backlog every held answer becomes due at once, when the last partition is read to its
   * end: in one pass a task answered tens of thousands, holding them all in a list, and the
   * gathering step saw none of them until the pass was over and committed, nor the tokenizer a
   * decision, while the cores had room (bench/run pipeline, a CPU timeline). A pass that stops here
   * leaves the rest to the next turn of the stream thread's loop, after the records it polled and a
   * commit when one is due.
   */
  private final int answersPerPass;

  /** Whether the last {@link #answerDue} pass stopped at {@link #answersPerPass}. */
  private boolean moreDue;

  /**
   * The punctuation that goes on with a pass that stopped at {@link #answersPerPass}, at the next
   * turn of the stream thread's loop; null while no pass has more due. Scheduled only then: a
   * punctuation every millisecond, run or not, made Kafka Streams halve the records it processes
   * between its checks of the loop (state updater, punctuators, commit) at nearly every turn, and
   * those checks took 5 % of the stream thread (bench/run dedup, a CPU profile).
   */
  private Cancellable goingOn;

  private final Punctuations punctuations = new Punctuations();

  /** Where the next expiry pass starts in the store (null: at its start). */
  private Bytes expiryCursor;

  /**
   * @param holdMs how long an answer waits, by the clock, for a smaller document through another
   *     partition; and how far past its document's record time every partition must have been read
   *     ({@link ReadProgress})
   * @param holdMaxMs the longest an answer waits for the partitions to be read that far; at or
   *     below {@code holdMs}, the clock alone decides
   * @param answersPerPass the most held answers one pass gives; the rest go on at the next turn of
   *     the stream thread's loop
   * @param expireAfterMs forget the exact, near and URL keys whose smallest document's event time
   *     is more than this before the newest one the task has seen; 0 keeps every key
   * @param imageDistance the most bits two perceptual hashes may differ in for near-duplicate
   *     images
   * @param imageHolders the images an image band's value keeps, newest first (one a perceptual
   *     hash, its smallest holder), from which near-duplicates are found
   * @param rawPartitions the partitions of {@code corpus.raw.v1}, each of which must be read past a
   *     document before its answers are given (by its keys, or a {@link ReadMark})
   * @param recentBytes the memory the task gives to the keys it took lately ({@link RecentValues})
   */
  BucketProcessor(
      long holdMs,
      long holdMaxMs,
      int answersPerPass,
      long expireAfterMs,
      int imageDistance,
      int imageHolders,
      int rawPartitions,
      long recentBytes) {
    this.holdMs = holdMs;
    this.holdMaxMs = holdMaxMs;
    this.answersPerPass = answersPerPass;
    this.expireAfterMs = expireAfterMs;
    this.imageDistance = imageDistance;
    this.imageHolders = imageHolders;
    this.rawPartitions = rawPartitions;
    // a few seconds of keys where a task takes a few thousand a second (a key and its value: 56 B)
    this.recent = RecentValues.ofBytes(recentBytes);
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.smallest = context.getStateStore(DedupFilterTopology.SMALLEST_STORE);
    this.pending = context.getStateStore(DedupFilterTopology.PENDING_STORE);
    // a task revived after an aborted transaction has its stores restored to the last commit
    this.pendingFrom = Long.MIN_VALUE;
    this.progress = new ReadProgress(holdMs, rawPartitions);
    this.recent.attach(smallest);
    this.legacyKeys = null;
    this.moreDue = false;
    // a revived task's processor is initialised again: close() has cancelled what it scheduled
    this.punctuations.cancelAll();
    this.goingOn = null;
    if (holdMs > 0) {
      punctuations.schedule(context, passInterval(holdMs), this::answerDue);
    }
    if (expireAfterMs > 0) {
      punctuations.schedule(context, Duration.ofSeconds(1), this::expire);
    }
  }

  @Override
  public void close() {
    punctuations.cancelAll();
    goingOn = null;
  }

  /**
   * How often a task looks at its held answers: four times a hold, between 20 and 250 ms. The
   * screen sends its read marks as often.
   */
  static Duration passInterval(long holdMs) {
    return Duration.ofMillis(Math.max(20, Math.min(holdMs / 4, 250)));
  }

  /**
   * Deletes, from the next {@link #EXPIRY_BATCH} keys of the store, the dedup keys (not the replay
   * keys: a document read again long after must still be known) whose smallest document is older
   * than the horizon, measured in event time back from the newest document seen. A later copy of
   * such a document is then not its duplicate: both are kept, and neither is a duplicate of a
   * larger one (invariant 3 holds; the cluster has two members).
   */
  void expire(long now) {
    if (newestEventTime == Long.MIN_VALUE) {
      return;
    }
    long cutoff = newestEventTime - expireAfterMs;
    List<Bytes> old = new ArrayList<>();
    List<KeyValue<Bytes, byte[]>> thinned = new ArrayList<>();
    Bytes next = null;
    int seen = 0;
    try (KeyValueIterator<Bytes, byte[]> it = smallest.range(expiryCursor, null)) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> e = it.next();
        if (seen++ == EXPIRY_BATCH) {
          next = e.key;
          break;
        }
        DedupKey.Kind kind = DedupKey.kindOfStored(e.key.get());
        if (kind == DedupKey.Kind.IMAGE_BAND) {
          List<Member> holders = Holders.read(e.value);
          List<Member> kept = holders.stream().filter(m -> m.eventTime() >= cutoff).toList();
          if (kept.isEmpty()) {
            old.add(e.key);
          } else if (kept.size() < holders.size()) {
            thinned.add(KeyValue.pair(e.key, Holders.write(kept)));
          }
        } else if (kind != DedupKey.Kind.ID && Member.fromBytes(e.value).eventTime() < cutoff) {
          old.add(e.key);
        }
      }
    }
    old.forEach(recent::delete);
    thinned.forEach(kv -> recent.put(kv.key, kv.value));
    expiryCursor = next;
  }

  @Override
  public void process(Record<String, byte[]> record) {
    if (ReadMark.is(record.value())) {
      // the answers it lets go are given now, not at the next pass
      ReadMark mark = ReadMark.fromBytes(record.value());
      long now = context.currentSystemTimeMs();
      if (progress.heard(mark.partition(), mark.at(), now) && holdMs > 0) {
        answerDue(now);
      }
      return;
    }
    if (KeyBatch.is(record.value())) {
      KeyBatch batch = KeyBatch.fromBytes(record.value());
      Map<Member, byte[]> stored = new IdentityHashMap<>();
      for (Map.Entry<String, Member> key : batch.keys()) {
        take(key.getKey(), key.getValue(), stored);
      }
      if (holdMs <= 0) {
        answer(batch);
      } else {
        pending.put(held(record, batch.recordKey(), batch.document()), record.value());
      }
      return;
    }
    // a record of one key, as builds before key batches wrote them
    String key = record.key();
    Member member = Member.fromBytes(record.value());
    take(key, member, new IdentityHashMap<>());
    if (DedupKey.Kind.of(key.charAt(0)) == DedupKey.Kind.ID) {
      forward(member, answerFor(key, member));
    } else if (holdMs <= 0) {
      answer(key, member);
    } else {
      pending.put(held(record, key, member), record.value());
    }
  }

  /**
   * Records that {@code member} holds {@code key}, if it is the key's smallest (or first).
   *
   * @param stored the members' stored forms for the keys other than replay keys, by member: one
   *     document's batch writes each once
   */
  private void take(String key, Member member, Map<Member, byte[]> stored) {
    DedupKey.Kind kind = DedupKey.Kind.of(key.charAt(0));
    newestEventTime = Math.max(newestEventTime, member.eventTime());
    Bytes storeKey = DedupKey.storeKey(key);
    byte[] current = holderOf(key, storeKey);
    if (kind == DedupKey.Kind.IMAGE_BAND) {
      recent.put(storeKey, Holders.write(Holders.add(Holders.read(current), member, imageHolders)));
    } else if (kind == DedupKey.Kind.ID) {
      if (current == null) {
        recent.put(storeKey, member.toStoredBytes(kind));
      }
    } else if (current == null || member.compareTo(Member.fromBytes(current)) < 0) {
      recent.put(storeKey, stored.computeIfAbsent(member, m -> m.toStoredBytes(kind)));
    }
  }

  /**
   * What {@code dedup-smallest} keeps for a key: under its {@link DedupKey#storeKey}, else where
   * builds before kept it, from where it moves to the new key.
   */
  private byte[] holderOf(String key, Bytes storeKey) {
    byte[] value = recent.get(storeKey);
    if (value == null && hasLegacyKeys()) {
      Bytes legacy = DedupKey.legacyStoreKey(key);
      value = smallest.get(legacy);
      if (value != null) {
        recent.put(storeKey, value);
        smallest.put(legacy, null); // deleted, without reading it again
      }
    }
    return value;
  }

  /** Whether the store has keys in the form of builds before {@link DedupKey#storeKey}. */
  private boolean hasLegacyKeys() {
    if (legacyKeys == null) {
      try (KeyValueIterator<Bytes, byte[]> it =
          smallest.range(Bytes.wrap(new byte[] {'a'}), Bytes.wrap(new byte[] {'z' + 1}))) {
        legacyKeys = it.hasNext();
      }
    }
    return legacyKeys;
  }

  /**
   * The key under which a record's answers wait in {@code dedup-pending}: due a hold from now, and
   * once every raw partition is read past the record's time (no later than now: a producer's clock
   * set forward holds no answer longer than the clock does) and the hold.
   */
  private Bytes held(Record<String, byte[]> record, String dedupKey, Member member) {
    long now = context.currentSystemTimeMs();
    progress.heard(ReadProgress.partitionOf(member.instance()), record.timestamp(), now);
    long due = now + holdMs;
    pendingFrom = Math.min(pendingFrom, due);
    return pendingKey(due, Math.min(record.timestamp(), now), dedupKey, member);
  }

  /** Version 1 of {@link #pendingKey}, read only: no record time. */
  static final byte PENDING_KEY_VERSION_1 = 1;

  /** The version of {@link #pendingKey} this build writes. */
  static final byte PENDING_KEY_VERSION = 2;

  /**
   * The key of a held answer in {@code dedup-pending}, ordered by due time: version 2 is the due
   * time (int64), {@code 0x02}, the record time of the document (int64), the dedup key's length
   * (int16), the dedup key and {@code <doc id>@<instance>} (UTF-8). Version 1 had no record time;
   * version 0 (before 0.2) had no version byte after the due time either: there the byte is the
   * high byte of the key's length, {@code 0x00} (dedup keys are far shorter than 256 bytes). All
   * three are read, and all sort by due time; the answers of the two older ones are given at their
   * due time. An image's key ends in {@code #<index>}.
   */
  static Bytes pendingKey(long due, long recordTime, String dedupKey, Member member) {
    byte[] keyBytes = dedupKey.getBytes(StandardCharsets.UTF_8);
    if (keyBytes.length > 255) {
      throw new IllegalArgumentException("dedup key over 255 bytes: " + dedupKey);
    }
    // an image's answers are told apart by its index: one document may hold an image twice
    String holder = member.docId() + "@" + member.instance();
    if (member.part() != Member.TEXT) {
      holder += "#" + member.part();
    }
    byte[] id = holder.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(
        ByteBuffer.allocate(8 + 1 + 8 + 2 + keyBytes.length + id.length)
            .putLong(due)
            .put(PENDING_KEY_VERSION)
            .putLong(recordTime)
            .putShort((short) keyBytes.length)
            .put(keyBytes)
            .put(id)
            .array());
  }

  /** The dedup key of a {@link #pendingKey} of any version. */
  static String dedupKeyOf(byte[] pendingKey) {
    ByteBuffer k = ByteBuffer.wrap(pendingKey);
    k.getLong();
    byte version = k.get(k.position());
    if (version == PENDING_KEY_VERSION) {
      k.get();
      k.getLong();
    } else if (version == PENDING_KEY_VERSION_1) {
      k.get();
    } else if (version != 0) {
      throw new IllegalArgumentException("unknown pending key version " + version);
    }
    byte[] keyBytes = new byte[k.getShort()];
    k.get(keyBytes);
    return new String(keyBytes, StandardCharsets.UTF_8);
  }

  /**
   * The record time of a {@link #pendingKey}'s document; {@link Long#MIN_VALUE} for the versions
   * without one, whose answers wait for no partition.
   */
  static long recordTimeOf(byte[] pendingKey) {
    return pendingKey[8] == PENDING_KEY_VERSION
        ? ByteBuffer.wrap(pendingKey, 9, 8).getLong()
        : Long.MIN_VALUE;
  }

  /**
   * Answers, in due order, every held document whose hold has passed and whose partitions have been
   * read past it ({@link ReadProgress}), or that has waited {@code holdMaxMs}. The first that must
   * wait on stops the pass: the answers after it arrived later, and wait for it (under a backlog a
   * pass reads one held answer, not every one the clock has made due).
   */
  private void answerDue(long now) {
    if (pendingFrom > now) {
      return;
    }
    Bytes from =
        pendingFrom == Long.MIN_VALUE
            ? null
            : Bytes.wrap(ByteBuffer.allocate(8).putLong(pendingFrom).array());
    Bytes upTo = Bytes.wrap(ByteBuffer.allocate(8).putLong(now + 1).array());
    List<KeyValue<Bytes, byte[]>> due = new ArrayList<>();
    long waitingFrom = now + 1;
    moreDue = false;
    try (KeyValueIterator<Bytes, byte[]> it = pending.range(from, upTo)) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> entry = it.next();
        long dueAt = ByteBuffer.wrap(entry.key.get()).getLong();
        if (due.size() == answersPerPass) {
          // the next pass starts here: the answers before it are deleted below
          waitingFrom = dueAt;
          moreDue = true;
          break;
        }
        long recordTime = recordTimeOf(entry.key.get());
        boolean waitedLongest = now - (dueAt - holdMs) >= holdMaxMs;
        if (recordTime != Long.MIN_VALUE && !waitedLongest && !progress.readPast(recordTime)) {
          waitingFrom = dueAt;
          break;
        }
        due.add(entry);
      }
    }
    for (KeyValue<Bytes, byte[]> entry : due) {
      if (KeyBatch.is(entry.value)) {
        answer(KeyBatch.fromBytes(entry.value));
      } else {
        answer(dedupKeyOf(entry.key.get()), Member.fromBytes(entry.value));
      }
      // deleted by writing null: delete() would read the value again, to return it
      pending.put(entry.key, null);
    }
    pendingFrom = waitingFrom;
    if (moreDue && goingOn == null) {
      goingOn = punctuations.schedule(context, Duration.ofMillis(1), this::answerDue);
    } else if (!moreDue && goingOn != null) {
      // forgotten too: a stage that runs for months meets many backlogs
      punctuations.cancel(goingOn);
      goingOn = null;
    }
  }

  /** Tells the document's gathering step whether a smaller document holds the key. */
  private void answer(String key, Member member) {
    forward(member, answerFor(key, member));
  }

  /** Tells the document's gathering step, in one record, the answers of all the batch's keys. */
  private void answer(KeyBatch batch) {
    List<Gather.Answer> answers = new ArrayList<>(batch.keys().size());
    for (Map.Entry<String, Member> key : batch.keys()) {
      answers.add(answerFor(key.getKey(), key.getValue()));
    }
    forward(batch.document(), new Gather.Answers(answers));
  }

  /**
   * The smaller document that holds the key, if there is one; for a replay key, whether another
   * record carried the document first.
   */
  private Gather.Answer answerFor(String key, Member member) {
    byte[] current = holderOf(key, DedupKey.storeKey(key));
    DedupKey dedupKey = DedupKey.decode(key);
    if (dedupKey.kind() == DedupKey.Kind.ID) {
      // the key keeps the first record that carried the document
      boolean replay =
          current != null && !Member.fromBytes(current).instance().equals(member.instance());
      return new Gather.Answer(dedupKey.kind(), dedupKey.band(), null, replay);
    }
    Member smaller;
    if (dedupKey.kind() == DedupKey.Kind.IMAGE_BAND) {
      // a band is a candidate: the smallest holder whose whole hash is near enough
      smaller = null;
      for (Member h : Holders.read(current)) {
        if (h.compareTo(member) < 0
            && !h.sameDocument(member)
            && PerceptualHash.distance(h.textHash(), member.textHash()) <= imageDistance
            && (smaller == null || h.compareTo(smaller) < 0)) {
          smaller = h;
        }
      }
    } else {
      Member min = current == null ? member : Member.fromBytes(current);
      // the same document (by id) is never its own duplicate
      smaller = min.compareTo(member) < 0 && !min.sameDocument(member) ? min : null;
    }
    return new Gather.Answer(dedupKey.kind(), dedupKey.band(), smaller, false, member.part());
  }

  /**
   * The images that hold one value of an image band, in {@code dedup-smallest}: {@code 0x40}, a
   * count (int16), then each {@link Member} as its length (int16) and bytes, newest last. One per
   * perceptual hash (its smallest holder), at most {@code imageHolders}: the oldest go first.
   */
  static final class Holders {
    static final byte VERSION = 0x40;

    private Holders() {}

    static List<Member> read(byte[] bytes) {
      List<Member> holders = new ArrayList<>();
      if (bytes == null) {
        return holders;
      }
      ByteBuffer in = ByteBuffer.wrap(bytes);
      if (in.get() != VERSION) {
        throw new IllegalArgumentException("unknown image holders version " + bytes[0]);
      }
      int n = in.getShort();
      for (int i = 0; i < n; i++) {
        int length = in.getShort();
        holders.add(Member.read(in.slice(in.position(), length)));
        in.position(in.position() + length);
      }
      return holders;
    }

    static byte[] write(List<Member> holders) {
      List<byte[]> members =
          holders.stream().map(m -> m.toStoredBytes(DedupKey.Kind.IMAGE_BAND)).toList();
      ByteBuffer out =
          ByteBuffer.allocate(1 + 2 + members.stream().mapToInt(b -> 2 + b.length).sum());
      out.put(VERSION).putShort((short) members.size());
      for (byte[] m : members) {
        out.putShort((short) m.length).put(m);
      }
      return out.array();
    }

    /** The holders with {@code member} added (or kept as the smaller of its hash), newest last. */
    static List<Member> add(List<Member> holders, Member member, int max) {
      List<Member> out = new ArrayList<>(holders.size() + 1);
      Member same = member;
      for (Member h : holders) {
        if (h.textHash() == member.textHash()) {
          same = h.compareTo(same) < 0 ? h : same;
        } else {
          out.add(h);
        }
      }
      out.add(same);
      return out.size() > max ? new ArrayList<>(out.subList(out.size() - max, out.size())) : out;
    }
  }

  private void forward(Member member, Gather answer) {
    context.forward(
        new Record<>(
            member.docId() + "@" + member.instance(),
            Gather.encode(answer),
            context.currentSystemTimeMs()));
  }
}
