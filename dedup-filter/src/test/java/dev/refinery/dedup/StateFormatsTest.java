package dev.refinery.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The binary formats dedup-filter keeps in RocksDB and on its repartition topics: the bytes of
 * every released version are kept here, and this build must read each of them (and write the newest
 * exactly), so a state directory or changelog written by an older build survives an upgrade.
 */
class StateFormatsTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final Member M = new Member(1767225600000L, "doc-1", "2:17");

  // version 0, as 0.1 wrote them (no version byte)
  private static final String MEMBER_V0 = "0000019b76daa8000005646f632d310004323a3137";
  private static final String DOC_V0 = "010000000300000003010203";
  private static final String ANSWER_V0 = "026500010000019b76daa8000005646f632d310004323a3137";
  private static final String REPLAY_ANSWER_V0 = "02690002";
  private static final String STATE_V0 =
      "00000010000000020000000001000000150000019b76daa8000005646f632d310004323a3137"
          + "00000000000000150000019b76daa8000005646f632d310004323a3137";
  private static final String PENDING_KEY_V0 =
      "0000019b76daa9f40008" + hex("e00:abcd") + hex("doc-1@2:17");

  // version 1
  // version, event time, text hash, id, instance
  private static final String MEMBER_V1 =
      "01" + "0000019b76daa800" + "0000000000000000" + "0005646f632d31" + "0004323a3137";
  private static final String DOC_V1 = "11" + DOC_V0.substring(2);
  private static final String ANSWER_V1 = answer(MEMBER_V1);
  private static final String STATE_V1 = state(MEMBER_V1);
  private static final String PENDING_KEY_V1 =
      "0000019b76daa9f4010008" + hex("e00:abcd") + hex("doc-1@2:17");
  // version 2: due time, version, record time, key length, key, holder
  private static final String PENDING_KEY_V2 =
      "0000019b76daa9f4" + "02" + "0000019b76daa418" + "0008" + hex("e00:abcd") + hex("doc-1@2:17");

  // version 2, written for images only: text keeps version 1
  // version, event time, perceptual hash, image index 3, id, instance
  private static final String IMAGE_MEMBER_V2 =
      "02" + "0000019b76daa800" + "9ff1c18423ce8cbc" + "0003" + "0005646f632d31" + "0004323a3137";
  // version 2 and type 1: expected, document, rejection (none), one refused image
  private static final String DOC_V2 =
      "21" + "00000003" + "00000003" + "010203" + "00000000" + "00000001" + "00000002" + "0405";
  private static final String IMAGE_ANSWER_V2 = imageAnswer(IMAGE_MEMBER_V2);
  private static final String STATE_V2 = stateWithImage(MEMBER_V1, IMAGE_MEMBER_V2);

  // read marks on dedup-by-key (0.6): version, raw partition 3, the moment it was read to its end
  private static final String READ_MARK = "30" + "00000003" + "0000019b76daa9f4";

  // key batches (0.3)
  private static final String KEY_BATCH = keyBatch(MEMBER_V1, IMAGE_MEMBER_V2);
  private static final String ANSWERS = answers(MEMBER_V1);

  // version 3 (0.4): members only, compact; the formats around them keep their versions
  // version, flags (instance as partition:offset), event time (zig-zag varint), text hash, id
  // (length as a varint), partition, offset
  private static final String MEMBER_V3 =
      "03" + "04" + "80a0d5edee66" + "0000000000000000" + "05646f632d31" + "02" + "11";
  // flags (an image; instance as partition:offset), event time, perceptual hash, image index 3
  private static final String IMAGE_MEMBER_V3 =
      "03" + "05" + "80a0d5edee66" + "9ff1c18423ce8cbc" + "0003" + "05646f632d31" + "02" + "11";

  // dedup-smallest (0.5): binary keys, and members of version 4 that leave out what the key's
  // answers never read. A band key: version, kind 'b', band 7, the hash's 8 bytes
  private static final String BAND_STORE_KEY = "01" + "62" + "07" + "9f3a00000000beef";
  // version 4, flags (text hash left out, instance as partition:offset), event time, id, instance
  private static final String REPLAY_HOLDER_V4 =
      "04" + "0c" + "80a0d5edee66" + "05646f632d31" + "02" + "11";
  // version 4, flags (instance left out), event time, text hash, id
  private static final String HOLDER_V4 =
      "04" + "10" + "80a0d5edee66" + "0000000000000000" + "05646f632d31";

  // dedup-smallest (0.8): members of version 5. A replay key's: version, flags (text hash left
  // out, instance as partition:offset, the instance alone), instance
  private static final String REPLAY_HOLDER_V5 = "05" + "4c" + "02" + "11";
  // flags (instance left out, the text hash's upper 32 bits), event time, text hash, id
  private static final String HOLDER_V5 =
      "05" + "30" + "80a0d5edee66" + "00000000" + "05646f632d31";

  // gathered in the screening task (0.7): what a task had gathered of a document another task
  // gathers, sent on. Version 4 and type 4: the state's length and bytes, then the document's
  // message as the documents store keeps it
  private static final String MOVED = "44" + length(STATE_V1, 4) + STATE_V1 + DOC_V1;

  // what this build writes: the formats above, with members of version 3
  private static final String ANSWER_NOW = answer(MEMBER_V3);
  private static final String STATE_NOW = state(MEMBER_V3);
  private static final String IMAGE_ANSWER_NOW = imageAnswer(IMAGE_MEMBER_V3);
  private static final String STATE_V2_NOW = stateWithImage(MEMBER_V3, IMAGE_MEMBER_V3);
  private static final String KEY_BATCH_NOW = keyBatch(MEMBER_V3, IMAGE_MEMBER_V3);
  private static final String ANSWERS_NOW = answers(MEMBER_V3);

  // the formats that hold members, each around the member bytes of a version

  /** Version 1 and type 2 (a gather answer): kind 'e', band 0, flags (has smaller), member. */
  private static String answer(String member) {
    return "12" + "65" + "00" + "01" + member;
  }

  /** Version 2 and type 2: kind 'q', band 5, flags, image index 3, member. */
  private static String imageAnswer(String imageMember) {
    return "22" + "71" + "05" + "01" + "0003" + imageMember;
  }

  /**
   * A gather state, version 1: version, expected, received, replay, bands shared, exact, url
   * (none), near; each member after its length (int32).
   */
  private static String state(String member) {
    String m = length(member, 4) + member;
    return "01" + "00000010" + "00000002" + "00" + "00000001" + m + "00000000" + m;
  }

  /** Version 2: version 1's fields, then one image: kind 'm', index 3, member. */
  private static String stateWithImage(String member, String imageMember) {
    return "02"
        + state(member).substring(2)
        + "00000001"
        + "6d"
        + "0003"
        + length(imageMember, 4)
        + imageMember;
  }

  /**
   * A key batch: 0x20, members (count, each length (int16) and bytes), keys (count, each length,
   * key, member index).
   */
  private static String keyBatch(String member, String imageMember) {
    return "20"
        + "0002"
        + length(member, 2)
        + member
        + length(imageMember, 2)
        + imageMember
        + "0003"
        + "0008"
        + hex("e00:abcd")
        + "0000"
        + "0008"
        + hex("i00:ef01")
        + "0000"
        + "0008"
        + hex("m00:2345")
        + "0001";
  }

  /** Version 3, type 3: count, then kind, band, flags, image index (-1: the text), member. */
  private static String answers(String member) {
    return "33" + "00000002" + "65" + "00" + "01" + "ffff" + member + "69" + "00" + "02" + "ffff";
  }

  /** The length of a member's bytes, as a big-endian integer of {@code bytes} bytes. */
  private static String length(String memberHex, int bytes) {
    return String.format("%0" + 2 * bytes + "x", memberHex.length() / 2);
  }

  private static String hex(String text) {
    return HEX.formatHex(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static byte[] bytes(String hex) {
    return HEX.parseHex(hex);
  }

  @Test
  void membersOfEveryVersionAreRead() {
    assertThat(Member.fromBytes(bytes(MEMBER_V0))).isEqualTo(M);
    assertThat(Member.fromBytes(bytes(MEMBER_V1))).isEqualTo(M);
    assertThat(Member.fromBytes(bytes(MEMBER_V3))).isEqualTo(M);
    assertThat(HEX.formatHex(M.toBytes())).isEqualTo(MEMBER_V3);
    Member before1970 = new Member(-5L, "old", "0:0");
    assertThat(Member.fromBytes(before1970.toBytes())).isEqualTo(before1970);
    Member hashed = new Member(7L, "h", "1:1", 0x0123456789abcdefL);
    assertThat(Member.fromBytes(hashed.toBytes())).isEqualTo(hashed);
    assertThat(Member.fromBytes(bytes(MEMBER_V0)).textHash()).as("unknown in version 0").isZero();
  }

  @Test
  void gatherMessagesOfEveryVersionAreRead() {
    Gather.Doc doc = (Gather.Doc) Gather.decode(bytes(DOC_V0));
    assertThat(doc.expected()).isEqualTo(3);
    assertThat(doc.document()).containsExactly(1, 2, 3);
    assertThat(Gather.decode(bytes(DOC_V1))).usingRecursiveComparison().isEqualTo(doc);
    assertThat(HEX.formatHex(Gather.encode(doc))).isEqualTo(DOC_V1);

    Gather.Answer answer = new Gather.Answer(DedupKey.Kind.EXACT, 0, M, false);
    assertThat(Gather.decode(bytes(ANSWER_V0))).isEqualTo(answer);
    assertThat(Gather.decode(bytes(ANSWER_V1))).isEqualTo(answer);
    assertThat(HEX.formatHex(Gather.encode(answer))).isEqualTo(ANSWER_NOW);
    assertThat(Gather.decode(bytes(ANSWER_NOW))).isEqualTo(answer);
    assertThat(Gather.decode(bytes(REPLAY_ANSWER_V0)))
        .isEqualTo(new Gather.Answer(DedupKey.Kind.ID, 0, null, true));
  }

  @Test
  void gatherStatesOfEveryVersionAreRead() {
    for (String version : new String[] {STATE_V0, STATE_V1, STATE_NOW}) {
      GatherProcessor.State s = GatherProcessor.State.read(bytes(version));
      assertThat(s.expected).isEqualTo(16);
      assertThat(s.received).isEqualTo(2);
      assertThat(s.bandsShared).isEqualTo(1);
      assertThat(s.exact).isEqualTo(M);
      assertThat(s.url).isNull();
      assertThat(s.near).isEqualTo(M);
      assertThat(HEX.formatHex(s.write())).isEqualTo(STATE_NOW);
    }
    GatherProcessor.State waiting = new GatherProcessor.State();
    assertThat(GatherProcessor.State.read(waiting.write()).expected).isEqualTo(-1);
  }

  @Test
  void movedStatesAreWrittenAsPinnedAndAddToWhatTheTaskGatheredOfTheDocument() {
    Gather.Moved moved = (Gather.Moved) Gather.decode(bytes(MOVED));
    assertThat(moved.state()).isEqualTo(bytes(STATE_V1));
    assertThat(moved.document()).isEqualTo(bytes(DOC_V1));
    assertThat(HEX.formatHex(Gather.encode(moved))).isEqualTo(MOVED);
    assertThat(Gather.decode(Gather.encode(new Gather.Moved(bytes(STATE_V1), new byte[0]))))
        .isInstanceOfSatisfying(
            Gather.Moved.class, m -> assertThat(m.document()).as("not come yet").isEmpty());

    // the task that gathers the document had its URL's answer, and no document yet
    GatherProcessor.State here = new GatherProcessor.State();
    here.add(new Gather.Answer(DedupKey.Kind.URL, 0, M, false));
    here.merge(GatherProcessor.State.read(moved.state()));
    assertThat(here.expected).isEqualTo(16);
    assertThat(here.received).isEqualTo(3);
    assertThat(here.bandsShared).isEqualTo(1);
    assertThat(here.exact).isEqualTo(M);
    assertThat(here.url).isEqualTo(M);
    assertThat(here.near).isEqualTo(M);
    // and a state that had not seen the document leaves the expected count to the one that had
    GatherProcessor.State answersOnly = new GatherProcessor.State();
    answersOnly.add(new Gather.Answer(DedupKey.Kind.ID, 0, null, true));
    here.merge(answersOnly);
    assertThat(here.expected).isEqualTo(16);
    assertThat(here.received).isEqualTo(4);
    assertThat(here.replay).isTrue();
  }

  @Test
  void pendingKeysOfEveryVersionAreReadAndSortByDueTime() {
    assertThat(BucketProcessor.dedupKeyOf(bytes(PENDING_KEY_V0))).isEqualTo("e00:abcd");
    assertThat(BucketProcessor.dedupKeyOf(bytes(PENDING_KEY_V1))).isEqualTo("e00:abcd");
    assertThat(BucketProcessor.dedupKeyOf(bytes(PENDING_KEY_V2))).isEqualTo("e00:abcd");
    // the older versions carry no record time: their answers wait for no partition
    assertThat(BucketProcessor.recordTimeOf(bytes(PENDING_KEY_V0))).isEqualTo(Long.MIN_VALUE);
    assertThat(BucketProcessor.recordTimeOf(bytes(PENDING_KEY_V1))).isEqualTo(Long.MIN_VALUE);
    assertThat(BucketProcessor.recordTimeOf(bytes(PENDING_KEY_V2))).isEqualTo(1767225599000L);
    assertThat(
            HEX.formatHex(
                BucketProcessor.pendingKey(1767225600500L, 1767225599000L, "e00:abcd", M).get()))
        .isEqualTo(PENDING_KEY_V2);
    // a later due time sorts after, whichever version wrote the earlier one
    byte[] later = BucketProcessor.pendingKey(1767225600501L, 0, "e00:abcd", M).get();
    assertThat(java.util.Arrays.compareUnsigned(bytes(PENDING_KEY_V0), later)).isNegative();
    assertThat(java.util.Arrays.compareUnsigned(bytes(PENDING_KEY_V1), later)).isNegative();
    assertThat(java.util.Arrays.compareUnsigned(bytes(PENDING_KEY_V2), later)).isNegative();
  }

  @Test
  void imageFormatsOfVersion2AreReadAndWrittenOnlyForImages() {
    Member image = M.image(3, 0x9ff1c18423ce8cbcL);
    assertThat(HEX.formatHex(image.toBytes())).isEqualTo(IMAGE_MEMBER_V3);
    assertThat(Member.fromBytes(bytes(IMAGE_MEMBER_V2))).isEqualTo(image);
    assertThat(Member.fromBytes(bytes(IMAGE_MEMBER_V3))).isEqualTo(image);

    Gather.Doc doc = (Gather.Doc) Gather.decode(bytes(DOC_V2));
    assertThat(doc.expected()).isEqualTo(3);
    assertThat(doc.refusedImages()).singleElement().isEqualTo(new byte[] {4, 5});
    assertThat(HEX.formatHex(Gather.encode(doc))).isEqualTo(DOC_V2);

    Gather.Answer answer = new Gather.Answer(DedupKey.Kind.IMAGE_BAND, 5, image, false, 3);
    assertThat(HEX.formatHex(Gather.encode(answer))).isEqualTo(IMAGE_ANSWER_NOW);
    assertThat(Gather.decode(bytes(IMAGE_ANSWER_V2))).isEqualTo(answer);

    GatherProcessor.State s = GatherProcessor.State.read(bytes(STATE_V2));
    assertThat(GatherProcessor.State.read(bytes(STATE_V2_NOW)).imageExact).containsEntry(3, image);
    assertThat(s.imageExact).containsEntry(3, image);
    assertThat(s.exact).isEqualTo(M);
    assertThat(HEX.formatHex(s.write())).isEqualTo(STATE_V2_NOW);

    // the holders of an image band keep no instance, as dedup-smallest's other keys
    Member stored = new Member(M.eventTime(), M.docId(), "", M.textHash());
    assertThat(
            BucketProcessor.Holders.read(
                BucketProcessor.Holders.write(List.of(image, M.image(4, 1L)))))
        .containsExactly(stored.image(3, 0x9ff1c18423ce8cbcL), stored.image(4, 1L));
  }

  @Test
  void keyBatchesAndTheirAnswersAreWrittenAsPinnedAndTheirMembersOnce() {
    Member image = M.image(3, 0x9ff1c18423ce8cbcL);
    KeyBatch batch =
        new KeyBatch(
            List.of(
                java.util.Map.entry("e00:abcd", M),
                java.util.Map.entry("i00:ef01", M),
                java.util.Map.entry("m00:2345", image)));
    assertThat(HEX.formatHex(batch.toBytes())).isEqualTo(KEY_BATCH_NOW);
    assertThat(KeyBatch.fromBytes(bytes(KEY_BATCH))).isEqualTo(batch);
    assertThat(KeyBatch.fromBytes(bytes(KEY_BATCH_NOW))).isEqualTo(batch);
    assertThat(batch.document()).isEqualTo(M);
    assertThat(batch.recordKey()).isEqualTo("e00:abcd");
    // told apart from a single member of every version by its first byte
    assertThat(KeyBatch.is(bytes(KEY_BATCH))).isTrue();
    for (String member : List.of(MEMBER_V0, MEMBER_V1, IMAGE_MEMBER_V2, MEMBER_V3)) {
      assertThat(KeyBatch.is(bytes(member))).isFalse();
    }

    Gather.Answers answers =
        new Gather.Answers(
            List.of(
                new Gather.Answer(DedupKey.Kind.EXACT, 0, M, false),
                new Gather.Answer(DedupKey.Kind.ID, 0, null, true)));
    assertThat(HEX.formatHex(Gather.encode(answers))).isEqualTo(ANSWERS_NOW);
    assertThat(Gather.decode(bytes(ANSWERS))).isEqualTo(answers);
    assertThat(Gather.decode(bytes(ANSWERS_NOW))).isEqualTo(answers);
  }

  @Test
  void readMarksAreWrittenAsPinnedAndToldFromEveryOtherRecordOfTheByKeyTopic() {
    ReadMark mark = new ReadMark(3, 0x19b76daa9f4L);
    assertThat(HEX.formatHex(mark.toBytes())).isEqualTo(READ_MARK);
    assertThat(ReadMark.fromBytes(bytes(READ_MARK))).isEqualTo(mark);
    for (String other : new String[] {KEY_BATCH, KEY_BATCH_NOW, MEMBER_V1, MEMBER_V3}) {
      assertThat(ReadMark.is(bytes(other))).as(other).isFalse();
    }
    assertThat(KeyBatch.is(bytes(READ_MARK))).isFalse();
  }

  @Test
  void aBatchGoesToThePartitionTheProducerGivesEachOfItsKeys() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (int partitions : new int[] {1, 3, 4, 8, 12}) {
      List<DedupKey> keys = new java.util.ArrayList<>();
      for (int b = 0; b < 14; b++) {
        keys.add(DedupKey.band(b, random.nextLong()));
      }
      for (KeyBatch batch :
          KeyBatch.group(keys, java.util.Collections.nCopies(keys.size(), M), partitions)) {
        for (var key : batch.keys()) {
          // what the producer's partitioner does with a record keyed by it
          assertThat(
                  org.apache.kafka.clients.producer.internals.BuiltInPartitioner.partitionForKey(
                      key.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8), partitions))
              .isEqualTo(KeyBatch.partitionOf(batch.recordKey(), partitions));
        }
      }
    }
  }

  @Test
  void membersOfVersion3GiveBackEveryIdAndInstanceExactly() {
    String hexId = "0123456789abcdef0123456789abcdef";
    Member web = new Member(1767225600000L, hexId, "3:1234567", 0x0123456789abcdefL);
    assertThat(Member.fromBytes(web.toBytes())).isEqualTo(web);
    // version 1 took 62 bytes for it: the store keeps one a dedup key
    assertThat(web.toBytes()).hasSize(36);
    // only the forms that come back exactly are packed; every other is kept as its text
    List<String> ids =
        List.of(
            hexId,
            hexId.toUpperCase(java.util.Locale.ROOT),
            hexId.substring(1),
            hexId + "0",
            "0123456789abcdef0123456789abcdeg",
            "doc-1",
            "",
            "文書-ü");
    List<String> instances =
        List.of(
            "0:0",
            "2:17",
            "01:5",
            "1:05",
            "-1:5",
            "1:-5",
            "1:",
            ":1",
            "1:2:3",
            "x",
            "",
            "1:9223372036854775807",
            "123456789012345678:1",
            "0:999999999999999999");
    java.util.SplittableRandom random = new java.util.SplittableRandom(5);
    for (String id : ids) {
      for (String instance : instances) {
        for (long time : new long[] {0, -5, Long.MIN_VALUE, Long.MAX_VALUE, random.nextLong()}) {
          for (Member m :
              List.of(
                  new Member(time, id, instance, random.nextLong()),
                  new Member(time, id, instance)
                      .image(random.nextInt(0, 65536), random.nextLong()))) {
            java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(m.toBytes());
            assertThat(Member.read(in)).isEqualTo(m);
            assertThat(in.hasRemaining()).as("read to its last byte").isFalse();
          }
        }
      }
    }
    // cut short, or a varint that never ends: refused, never misread
    byte[] whole = web.toBytes();
    for (int cut = 1; cut < whole.length; cut++) {
      byte[] part = java.util.Arrays.copyOf(whole, cut);
      assertThatThrownBy(() -> Member.fromBytes(part))
          .isInstanceOf(java.nio.BufferUnderflowException.class);
    }
    byte[] endless = new byte[16];
    java.util.Arrays.fill(endless, (byte) 0xFF);
    endless[0] = Member.VERSION;
    endless[1] = 0;
    assertThatThrownBy(() -> Member.fromBytes(endless)).hasMessageContaining("malformed varint");
  }

  @Test
  void dedupSmallestKeepsBinaryKeysAndLeanHoldersAndReadsTheStringKeysOfEarlierBuilds() {
    String band = "b07:9f3a00000000beef";
    assertThat(HEX.formatHex(DedupKey.storeKey(band).get())).isEqualTo(BAND_STORE_KEY);
    assertThat(DedupKey.ofStoreKey(bytes(BAND_STORE_KEY))).isEqualTo(band);
    assertThat(DedupKey.kindOfStored(bytes(BAND_STORE_KEY))).isEqualTo(DedupKey.Kind.BAND);
    String exact = "e00:" + "0123456789abcdef".repeat(2);
    assertThat(DedupKey.storeKey(exact).get()).hasSize(19);
    assertThat(DedupKey.ofStoreKey(DedupKey.storeKey(exact).get())).isEqualTo(exact);

    // an earlier build's key is the encoded key's UTF-8, told apart by its first byte
    byte[] legacy = DedupKey.legacyStoreKey(band).get();
    assertThat(new String(legacy, java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(band);
    assertThat(DedupKey.isLegacyStoreKey(legacy)).isTrue();
    assertThat(DedupKey.isLegacyStoreKey(bytes(BAND_STORE_KEY))).isFalse();
    assertThat(DedupKey.kindOfStored(legacy)).isEqualTo(DedupKey.Kind.BAND);
    assertThat(DedupKey.ofStoreKey(legacy)).isEqualTo(band);

    // a hash that is not lower-case hex keeps its characters, so no two keys meet
    for (String odd : List.of("u00:ABCD", "u00:abc", "u00:é")) {
      byte[] stored = DedupKey.storeKey(odd).get();
      assertThat(stored[0]).isEqualTo(DedupKey.STORED_TEXT);
      assertThat(DedupKey.ofStoreKey(stored)).isEqualTo(odd);
    }
    assertThat(DedupKey.storeKey("u00:abcd")).isNotEqualTo(DedupKey.storeKey("u00:ABCD"));
    for (String garbage : List.of("", "b07", "b7:ab", "bx1:ab", "z00:ab", "b07-ab")) {
      assertThatThrownBy(() -> DedupKey.storeKey(garbage))
          .isInstanceOf(IllegalArgumentException.class);
    }

    // a replay key keeps the record alone, every other key the order, the id and the text hash's
    // upper half
    assertThat(HEX.formatHex(M.toStoredBytes(DedupKey.Kind.ID))).isEqualTo(REPLAY_HOLDER_V5);
    assertThat(HEX.formatHex(M.toStoredBytes(DedupKey.Kind.BAND))).isEqualTo(HOLDER_V5);
    assertThat(Member.fromBytes(bytes(REPLAY_HOLDER_V5))).isEqualTo(new Member(0, "", "2:17", 0));
    Member web = new Member(1767225600000L, "0123456789abcdef".repeat(2), "3:123456", -42L);
    assertThat(web.toStoredBytes(DedupKey.Kind.BAND)).hasSize(28);
    assertThat(web.toStoredBytes(DedupKey.Kind.ID)).hasSize(6);
    Member holder = Member.fromBytes(web.toStoredBytes(DedupKey.Kind.EXACT));
    assertThat(holder).isEqualTo(new Member(web.eventTime(), web.docId(), "", -1L << 32));
    assertThat(Member.sameText(holder.textHash(), web.textHash())).isTrue();
    assertThat(Member.sameText(holder.textHash(), web.textHash() ^ (1L << 32))).isFalse();
    // an image's member keeps its perceptual hash whole, which its distance is counted on
    Member image = web.image(3, 0x9ff1c18423ce8cbcL);
    assertThat(Member.fromBytes(image.toStoredBytes(DedupKey.Kind.IMAGE_BAND)))
        .isEqualTo(new Member(web.eventTime(), web.docId(), "", 0x9ff1c18423ce8cbcL, 3));
    // an id that is not hex, an instance that is not partition:offset
    Member odd = new Member(-5L, "é/1", "replayed from a file", 7L << 40);
    assertThat(Member.fromBytes(odd.toStoredBytes(DedupKey.Kind.URL)))
        .isEqualTo(new Member(-5L, "é/1", "", 7L << 40));
    assertThat(Member.fromBytes(odd.toStoredBytes(DedupKey.Kind.ID)))
        .isEqualTo(new Member(0, "", "replayed from a file", 0));
    // what earlier builds stored is read as it was
    assertThat(Member.fromBytes(bytes(REPLAY_HOLDER_V4)))
        .isEqualTo(new Member(M.eventTime(), M.docId(), M.instance(), 0));
    assertThat(Member.fromBytes(bytes(HOLDER_V4)))
        .isEqualTo(new Member(M.eventTime(), "doc-1", ""));
    assertThat(Member.fromBytes(bytes(MEMBER_V3))).isEqualTo(M);
    // flags a version does not have, or that clash, are a corrupt value
    for (String bad :
        List.of(
            "04" + "30" + HOLDER_V5.substring(4),
            "05" + "80" + HOLDER_V5.substring(4),
            "05" + "38" + HOLDER_V5.substring(4),
            "05" + "5c" + "0211",
            "05" + "4e" + "0211")) {
      assertThatThrownBy(() -> Member.fromBytes(bytes(bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("flags");
    }
    for (String whole : List.of(REPLAY_HOLDER_V5, HOLDER_V5)) {
      for (int cut = 2; cut < whole.length(); cut += 2) {
        String part = whole.substring(0, cut);
        assertThatThrownBy(() -> Member.fromBytes(bytes(part)))
            .as(part)
            .isInstanceOf(RuntimeException.class);
      }
    }
    // version 3 never leaves anything out: such flags are a corrupt value
    assertThatThrownBy(() -> Member.fromBytes(bytes("03" + HOLDER_V4.substring(2))))
        .hasMessageContaining("leaves nothing out");
  }

  @Test
  void aVersionFromTheFutureIsRefusedNotMisread() {
    assertThatThrownBy(() -> KeyBatch.fromBytes(bytes("21" + KEY_BATCH.substring(2))))
        .hasMessageContaining("version");
    assertThatThrownBy(() -> Gather.decode(bytes("43" + ANSWERS.substring(2))))
        .hasMessageContaining("version");
    assertThatThrownBy(() -> Member.fromBytes(bytes("06" + MEMBER_V3.substring(2))))
        .hasMessageContaining("version");
    assertThatThrownBy(() -> DedupKey.ofStoreKey(bytes("03" + BAND_STORE_KEY.substring(2))))
        .hasMessageContaining("version");
    assertThatThrownBy(() -> Gather.decode(bytes("31" + DOC_V0.substring(2))))
        .hasMessageContaining("version");
    assertThatThrownBy(() -> Gather.decode(bytes("54" + MOVED.substring(2))))
        .hasMessageContaining("version");
    assertThatThrownBy(() -> GatherProcessor.State.read(bytes("03" + STATE_V0.substring(2))))
        .hasMessageContaining("version");
  }
}
