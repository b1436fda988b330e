package dev.refinery.dedup;

import static dev.refinery.dedup.Docs.doc;
import static dev.refinery.dedup.Docs.edited;
import static dev.refinery.dedup.Docs.fetched;
import static dev.refinery.dedup.Docs.prose;
import static org.assertj.core.api.Assertions.assertThat;

import dev.refinery.infra.text.SyntheticText;
import dev.refinery.runtime.takedowns.Takedowns;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Stage;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.TakedownScope;
import dev.refinery.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DedupFilterTopologyTest {
  DedupMetrics metrics = DedupMetrics.inMemory();
  TopologyTestDriver driver;
  TestInputTopic<String, byte[]> raw;
  TestInputTopic<String, byte[]> takedowns;
  TestOutputTopic<String, Document> clean;
  TestOutputTopic<String, RejectedDocument> rejected;

  /**
   * Whether the stage has read raw to its end, as its {@code InputLag} would say: what the driver
   * was given it has read, unless a test plays a backlog.
   */
  final java.util.concurrent.atomic.AtomicBoolean readToTheEnd =
      new java.util.concurrent.atomic.AtomicBoolean(true);

  /** A driver with no hold (answers at once) unless the settings say otherwise. */
  void start(Map<String, Object> settings) {
    start(settings, null);
  }

  /** A driver whose rules are the configured ones plus {@code extra} (when not null). */
  void start(Map<String, Object> settings, dev.refinery.dedup.rules.Rule extra) {
    // a document's keys in as many batches as on a cluster, all through the driver's one partition
    start(settings, extra, Topics.CORPUS_RAW.partitions());
  }

  /**
   * A driver whose topology takes raw to have {@code partitions} partitions (the driver has one): a
   * held answer waits on each of them.
   */
  void start(Map<String, Object> settings, dev.refinery.dedup.rules.Rule extra, int partitions) {
    Map<String, Object> values = new HashMap<>(Map.of(DedupFilterConfig.HOLD_MS, 0L));
    values.putAll(settings);
    DedupFilterConfig config = new DedupFilterConfig(values);
    dev.refinery.dedup.rules.RuleSet rules = dev.refinery.dedup.rules.RuleSet.from(config);
    Properties props = DedupFilterService.streamsConfig(config);
    props.put(
        StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/dedup-driver");
    driver =
        new TopologyTestDriver(
            DedupFilterTopology.build(
                config,
                extra == null ? rules : rules.plus(extra),
                metrics,
                partitions,
                (partition, next, now) -> readToTheEnd.get() ? now : Long.MIN_VALUE),
            props,
            Instant.parse("2026-11-22T12:00:00Z"));
    raw =
        driver.createInputTopic(
            Topics.CORPUS_RAW.name(),
            Serdes.String().serializer(),
            Serdes.ByteArray().serializer());
    takedowns =
        driver.createInputTopic(
            Topics.CORPUS_TAKEDOWNS.name(),
            Serdes.String().serializer(),
            Serdes.ByteArray().serializer());
    clean =
        driver.createOutputTopic(
            Topics.CORPUS_CLEAN.name(),
            Serdes.String().deserializer(),
            Topics.CORPUS_CLEAN.valueSerde().deserializer());
    rejected =
        driver.createOutputTopic(
            Topics.CORPUS_REJECTED.name(),
            Serdes.String().deserializer(),
            Topics.CORPUS_REJECTED.valueSerde().deserializer());
  }

  void start() {
    start(Map.of());
  }

  @Test
  void aDocumentARuleThrowsOnIsRejectedAsAProcessingErrorAndTheStageGoesOn() {
    start(
        Map.of(),
        new dev.refinery.dedup.rules.Rule("lab_check") {
          @Override
          public java.util.Optional<dev.refinery.dedup.rules.Rejection> apply(
              dev.refinery.dedup.rules.Screened document) {
            if (document.text().contains("POISON")) {
              throw new IllegalStateException("lab_check cannot read this document");
            }
            return java.util.Optional.empty();
          }
        });
    // inside a sentence, so no cleaning rule removes the word before the lab's rule sees it
    Document poison = doc("p", "The POISON was found early. " + prose("p", 1).getText());
    Document good = prose("g", 2);
    byte[] poisonBytes = Topics.CORPUS_RAW.serialize(poison);
    raw.pipeInput(poison.getId(), poisonBytes);
    raw.pipeInput(good.getId(), Topics.CORPUS_RAW.serialize(good));

    List<RejectedDocument> rejections = rejected.readValuesToList();
    assertThat(rejections).hasSize(1);
    RejectedDocument r = rejections.get(0);
    assertThat(r.getDocId()).isEqualTo(poison.getId());
    assertThat(r.getStage()).isEqualTo(Stage.DEDUP_FILTER);
    assertThat(r.getReason()).isEqualTo("PROCESSING_ERROR");
    assertThat(r.getDetail()).contains("lab_check cannot read this document");
    assertThat(r.getLocation()).startsWith(Topics.CORPUS_RAW.name() + "-0@");
    byte[] original = new byte[r.getOriginal().remaining()];
    r.getOriginal().get(original);
    assertThat(original).isEqualTo(poisonBytes);
    assertThat(clean.readValuesToList()).extracting(Document::getId).containsExactly(good.getId());
  }

  @AfterEach
  void tearDown() {
    if (driver != null) {
      driver.close();
    }
  }

  private void send(Document d) {
    raw.pipeInput(d.getId(), Topics.CORPUS_RAW.serialize(d));
  }

  /** A raw record written at {@code written} (its timestamp: when ingest wrote it). */
  private void send(Document d, Instant written) {
    raw.pipeInput(d.getId(), Topics.CORPUS_RAW.serialize(d), written);
  }

  private void takedown(TakedownScope scope, String value) {
    Takedown t =
        Takedown.newBuilder()
            .setScope(scope)
            .setValue(value)
            .setReason("licensor withdrew it")
            .setRequestedBy("legal@example.org")
            .setRequestedAt(Instant.parse("2026-11-22T00:00:00Z"))
            .build();
    takedowns.pipeInput(Takedowns.key(t), Topics.CORPUS_TAKEDOWNS.serialize(t));
  }

  private List<String> cleanIds() {
    return clean.readKeyValuesToList().stream().map(kv -> kv.key).toList();
  }

  @Test
  void aCleanDocumentCarriesItsSignalsAndLanguage() {
    start();
    Document d = prose("a", 1);
    send(d);

    List<KeyValue<String, Document>> out = clean.readKeyValuesToList();
    assertThat(out)
        .singleElement()
        .satisfies(
            kv -> {
              assertThat(kv.key).isEqualTo(d.getId());
              assertThat(kv.value.getAttributes()).containsEntry("language", "en");
              assertThat(kv.value.getSignals())
                  .containsKeys(
                      "words",
                      "chars",
                      "language_confidence",
                      "gopher_words",
                      "dup_line_frac",
                      "c4_sentences",
                      "fineweb_line_punct_ratio",
                      "pii_email_address");
              assertThat(kv.value.getText()).isEqualTo(d.getText());
            });
    assertThat(rejected.isEmpty()).isTrue();
    assertThat(metrics.documentsIn()).isEqualTo(1);
    assertThat(metrics.documentsClean()).isEqualTo(1);
  }

  @Test
  void exactCopiesAreDuplicatesOfTheSmallerDocument() {
    start();
    Document first = prose("a", 2);
    Document copy = doc("b", first.getText().toUpperCase().replace(" ", "  "));
    send(first);
    send(copy);

    assertThat(cleanIds()).containsExactly(first.getId());
    RejectedDocument dup = rejected.readValue();
    assertThat(dup.getReason()).isEqualTo("EXACT_DUPLICATE");
    assertThat(dup.getRule()).isEqualTo("exact_dedup");
    assertThat(dup.getDocId()).isEqualTo(copy.getId());
    assertThat(dup.getDupOf()).isEqualTo(first.getId());
    assertThat(dup.getStage()).isEqualTo(Stage.DEDUP_FILTER);
    assertThat(dup.getSource().getName()).isEqualTo("test");
    assertThat(metrics.duplicateRatio()).isEqualTo(0.5);
  }

  @Test
  void nearDuplicatesShareABandAndNameTheirOriginal() {
    start();
    Document original = prose("orig", 3);
    Document near = doc("near", edited(original.getText(), 100));
    Document other = prose("other", 4);
    send(original);
    send(near);
    send(other);

    assertThat(cleanIds()).containsExactly(original.getId(), other.getId());
    RejectedDocument dup = rejected.readValue();
    assertThat(dup.getReason()).isEqualTo("NEAR_DUPLICATE");
    assertThat(dup.getRule()).isEqualTo("near_dedup");
    assertThat(dup.getDupOf()).isEqualTo(original.getId());
    assertThat(dup.getMeasured()).isBetween(1.0, 14.0);
    assertThat(dup.getThreshold()).isEqualTo(1.0);
    assertThat(dup.getDetail()).contains("of 14 MinHash bands", original.getId());
  }

  @Test
  void aSmallerDocumentArrivingWithinTheHoldSurvivesAndTheLargerIsItsDuplicate() {
    // one raw partition, as the driver has: a partition that has none never says it was read
    start(Map.of(DedupFilterConfig.HOLD_MS, 1_000L), null, 1);
    Document older = fetched(prose("older", 5), 0);
    Document newer = fetched(doc("newer", edited(older.getText(), 100)), 10);
    // the larger (later) one first
    send(newer);
    driver.advanceWallClockTime(Duration.ofMillis(400));
    send(older);
    assertThat(clean.isEmpty()).as("nothing is decided within the hold").isTrue();
    driver.advanceWallClockTime(Duration.ofMillis(1_500));

    assertThat(cleanIds()).containsExactly(older.getId());
    RejectedDocument dup = rejected.readValue();
    assertThat(dup.getDocId()).isEqualTo(newer.getId());
    assertThat(dup.getDupOf()).isEqualTo(older.getId());
    KeyValueStore<Object, Object> pending =
        driver.getKeyValueStore(DedupFilterTopology.PENDING_STORE);
    KeyValueStore<Object, Object> gathering =
        driver.getKeyValueStore(DedupFilterTopology.GATHER_STORE);
    KeyValueStore<Object, Object> documents =
        driver.getKeyValueStore(DedupFilterTopology.DOCUMENT_STORE);
    // counted, not estimated: RocksDB's estimate still counts deleted keys until a compaction
    assertThat(entries(pending)).isZero();
    assertThat(entries(gathering)).isZero();
    assertThat(entries(documents)).isZero();
  }

  @Test
  void aSmallerDocumentAfterTheHoldKeepsBothNeitherIsADuplicateOfALargerOne() {
    start(Map.of(DedupFilterConfig.HOLD_MS, 1_000L), null, 1);
    Document older = fetched(prose("older", 6), 0);
    Document newer = fetched(doc("newer", older.getText()), 10);
    send(newer);
    driver.advanceWallClockTime(Duration.ofMillis(1_500));
    send(older);
    driver.advanceWallClockTime(Duration.ofMillis(1_500));

    assertThat(cleanIds()).containsExactly(newer.getId(), older.getId());
    // but a third copy, later than both, is a duplicate of the smallest
    Document third = fetched(doc("third", older.getText()), 20);
    send(third);
    driver.advanceWallClockTime(Duration.ofMillis(1_500));
    assertThat(rejected.readValue().getDupOf()).isEqualTo(older.getId());
  }

  /**
   * A backlog: the larger copy was written first, and its partition is read on while the smaller
   * one, written 500 ms later, is still to be read. Held by the clock alone, the copy's answers
   * were given a hold after it arrived and both were kept; held until the partitions have been read
   * past its time and the hold, the smaller one is seen.
   */
  @Test
  void underABacklogACopyWaitsUntilThePartitionsAreReadPastItsTimeAndTheHold() {
    // one raw partition, as the driver has: the one read behind
    start(Map.of(DedupFilterConfig.HOLD_MS, 1_000L), null, 1);
    readToTheEnd.set(false);
    Instant written = Instant.parse("2026-11-22T11:00:00Z");
    Document older = fetched(prose("older", 7), 0);
    Document newer = fetched(doc("newer", older.getText()), 10);
    send(newer, written);
    for (int i = 1; i <= 4; i++) {
      // read 300 ms apart, written 100 ms apart: the stage is behind its input
      driver.advanceWallClockTime(Duration.ofMillis(300));
      send(prose("between-" + i, 100 + i), written.plusMillis(100 * i));
    }
    assertThat(cleanIds())
        .as("1.2 s after the copy arrived, its partition is read only 400 ms past it")
        .doesNotContain(newer.getId());
    send(older, written.plusMillis(500));
    Document after = prose("after", 200);
    send(after, written.plusMillis(1_600));
    driver.advanceWallClockTime(Duration.ofMillis(1_500));

    assertThat(cleanIds()).contains(older.getId()).doesNotContain(newer.getId());
    RejectedDocument dup = rejected.readValue();
    assertThat(dup.getDocId()).isEqualTo(newer.getId());
    assertThat(dup.getDupOf()).isEqualTo(older.getId());
    // the last document waits until the stage has read raw to its end, and says so
    driver.advanceWallClockTime(Duration.ofMillis(1_500));
    assertThat(cleanIds()).isEmpty();
    readToTheEnd.set(true);
    driver.advanceWallClockTime(Duration.ofMillis(300));
    assertThat(cleanIds()).as("answered as the mark arrives").containsExactly(after.getId());
  }

  /**
   * Under a backlog every held answer becomes due when the last partition is read to its end. They
   * go out in passes of {@code dedup.hold.answers.per.pass}, the rest at the next turns of the loop
   * (so that the gathering step and the tokenizer work on the first while the others are answered),
   * and the decisions are those of one pass: the copy is the original's duplicate.
   */
  @Test
  void heldAnswersReleasedAtOnceGoOutInPassesWithTheSameDecisions() {
    int perPass = 10;
    start(
        Map.of(DedupFilterConfig.HOLD_MS, 1_000L, DedupFilterConfig.HOLD_ANSWERS_PER_PASS, perPass),
        null,
        1);
    readToTheEnd.set(false);
    Instant written = Instant.parse("2026-11-22T11:00:00Z");
    int documents = 4 * perPass;
    Document original = fetched(prose("original", 1), 0);
    Document copy = fetched(doc("copy", original.getText()), 10);
    send(copy, written);
    for (int i = 0; i < documents - 2; i++) {
      send(prose("backlog-" + i, 1_000 + i), written);
    }
    send(original, written);
    driver.advanceWallClockTime(Duration.ofMillis(1_500));
    assertThat(clean.getQueueSize()).as("held until raw is read to its end").isZero();

    readToTheEnd.set(true);
    driver.advanceWallClockTime(Duration.ofMillis(300));
    long decided = clean.getQueueSize() + rejected.getQueueSize();
    assertThat(decided)
        .as("a turn of the loop answers a few passes, not every held answer")
        .isGreaterThanOrEqualTo(perPass)
        .isLessThan(documents);
    for (int turn = 0; turn < documents / perPass; turn++) {
      driver.advanceWallClockTime(Duration.ofMillis(1));
    }
    List<String> kept = cleanIds();
    assertThat(kept).hasSize(documents - 1).contains(original.getId()).doesNotContain(copy.getId());
    RejectedDocument dup = rejected.readValue();
    assertThat(dup.getDocId()).isEqualTo(copy.getId());
    assertThat(dup.getDupOf()).isEqualTo(original.getId());
    assertThat(rejected.isEmpty()).isTrue();
  }

  /**
   * Without read marks (the first bounce of a rolling upgrade from a build that cannot read them),
   * a partition with nothing more to read holds the answers until the longest hold.
   */
  @Test
  void withoutReadMarksTheLastAnswersWaitTheLongestHold() {
    for (boolean marks : new boolean[] {true, false}) {
      start(
          Map.of(
              DedupFilterConfig.HOLD_MS,
              1_000L,
              DedupFilterConfig.HOLD_MAX_MS,
              5_000L,
              DedupFilterConfig.READ_MARKS,
              marks),
          null,
          1);
      Document last = prose("last", 9);
      send(last);
      driver.advanceWallClockTime(Duration.ofMillis(1_300));
      assertThat(cleanIds()).as("marks: %s", marks).hasSize(marks ? 1 : 0);
      driver.advanceWallClockTime(Duration.ofMillis(4_000));
      assertThat(cleanIds()).as("marks: %s, after the longest hold", marks).hasSize(marks ? 0 : 1);
      driver.close();
      driver = null;
    }
  }

  /**
   * A partition whose records keep times far behind (a producer with a clock set back) would hold
   * every answer: {@code dedup.hold.max.ms} bounds the wait.
   */
  @Test
  void aPartitionThatNeverReadsPastADocumentHoldsItsAnswersNoLongerThanTheMaximum() {
    start(
        Map.of(DedupFilterConfig.HOLD_MS, 1_000L, DedupFilterConfig.HOLD_MAX_MS, 5_000L), null, 1);
    // a backlog whose record times stay behind: the partition is never read to its end
    readToTheEnd.set(false);
    Instant written = Instant.parse("2026-11-22T11:00:00Z");
    Document first = prose("first", 8);
    send(first, written);
    for (int i = 1; i <= 9; i++) {
      driver.advanceWallClockTime(Duration.ofMillis(500));
      send(prose("stuck-" + i, 300 + i), written);
    }
    assertThat(cleanIds()).as("4.5 s: still held").isEmpty();
    driver.advanceWallClockTime(Duration.ofMillis(700));
    assertThat(cleanIds()).as("5.2 s: the maximum has passed").containsExactly(first.getId());
  }

  @Test
  void ruleRejectionsNameTheRuleTheMeasuredValueAndTheThreshold() {
    start();
    Document tiny = doc("t", "Four words only here.");
    send(tiny);

    RejectedDocument r = rejected.readValue();
    assertThat(r.getReason()).isEqualTo("GOPHER_SHORT_DOC");
    assertThat(r.getRule()).isEqualTo("gopher_quality");
    assertThat(r.getMeasured()).isEqualTo(4.0);
    assertThat(r.getThreshold()).isEqualTo(50.0);
    assertThat(r.getSource().getName()).isEqualTo("test");
    assertThat(r.getLocation()).startsWith(Topics.CORPUS_RAW.name() + "-0@");
    Document original = Topics.CORPUS_RAW.deserialize(bytes(r));
    assertThat(original.getText()).isEqualTo(tiny.getText());
    assertThat(original.getAttributes()).containsEntry("language", "und");
    assertThat(metrics.rejectedByReason()).containsExactly(Map.entry("GOPHER_SHORT_DOC", 1L));
  }

  @Test
  void piiIsRedactedOnTheCleanDocument() {
    start();
    Document d = prose("p", 7);
    d.setText(
        d.getText()
            + "\nFor questions, write to jane.doe@example.com or call +1 415-555-0132 today.");
    send(d);

    Document out = clean.readValue();
    assertThat(out.getText()).endsWith("write to [EMAIL_ADDRESS] or call [PHONE_NUMBER] today.");
    assertThat(out.getSignals())
        .containsEntry("pii_email_address", 1.0)
        .containsEntry("pii_phone_number", 1.0);
  }

  @Test
  void aConversationsTurnsAreRedactedAsItsTextIs() {
    start();
    Document d = prose("c", 8);
    String answer = d.getText();
    List<dev.refinery.schemas.Message> turns =
        List.of(
            new dev.refinery.schemas.Message(
                "user", "Please mail me at jane.doe@example.com with the story."),
            new dev.refinery.schemas.Message("assistant", answer));
    d.setMessages(turns);
    d.setText(turns.get(0).getContent() + "\n\n" + answer);
    send(d);

    Document out = clean.readValue();
    assertThat(out.getMessages().get(0).getContent())
        .isEqualTo("Please mail me at [EMAIL_ADDRESS] with the story.");
    assertThat(out.getMessages().get(1).getContent()).isEqualTo(answer);
    assertThat(out.getText())
        .isEqualTo("Please mail me at [EMAIL_ADDRESS] with the story.\n\n" + answer);
  }

  @Test
  void undecodableRecordsAreRejectedAndTheStageGoesOn() {
    start();
    raw.pipeInput("garbage-key", "{\"text\": \"json, not avro\"}".getBytes());
    raw.pipeInput("null-key", null);
    Document good = prose("g", 8);
    send(good);

    List<RejectedDocument> out = rejected.readValuesToList();
    assertThat(out)
        .extracting(RejectedDocument::getReason)
        .containsExactly("UNDECODABLE", "UNDECODABLE");
    assertThat(out.get(0).getDocId()).isEqualTo("garbage-key");
    assertThat(out.get(0).getDetail()).contains("not Avro single-object encoded");
    assertThat(new String(bytes(out.get(0)))).isEqualTo("{\"text\": \"json, not avro\"}");
    assertThat(out.get(1).getDetail()).contains("tombstone");
    assertThat(cleanIds()).containsExactly(good.getId());
  }

  @Test
  void takedownsRejectLaterDocumentsAndATombstoneWithdrawsThem() {
    start();
    takedown(TakedownScope.URL_PREFIX, "https://Example.org/private/");
    takedown(TakedownScope.SOURCE, "withdrawn-source");
    takedowns.pipeInput("junk", "not a takedown".getBytes());
    Document covered = prose("covered", 9);
    covered.setUrl("https://example.org/private/2026/page.html");
    Document elsewhere = prose("elsewhere", 10);
    elsewhere.setUrl("https://example.org/public/page.html");
    send(covered);
    send(elsewhere);

    RejectedDocument r = rejected.readValue();
    assertThat(r.getReason()).isEqualTo("TAKEDOWN");
    assertThat(r.getRule()).isEqualTo("takedown");
    assertThat(r.getDocId()).isEqualTo(covered.getId());
    assertThat(r.getDetail())
        .contains("URL_PREFIX:https://example.org/private/", "licensor withdrew it");
    assertThat(cleanIds()).containsExactly(elsewhere.getId());
    assertThat(metrics.registry().get("refinery.dedup.bad.takedowns").counter().count())
        .isEqualTo(1.0);

    takedowns.pipeInput("URL_PREFIX:https://example.org/private/", (byte[]) null);
    Document later = prose("later", 11);
    later.setUrl("https://example.org/private/2027/page.html");
    send(later);
    assertThat(cleanIds()).containsExactly(later.getId());
  }

  @Test
  void keysOlderThanTheHorizonAreForgottenButAReplayIsStillKnown() {
    int day = 24 * 60;
    for (long horizon : new long[] {0, Duration.ofDays(30).toMillis()}) {
      start(Map.of(DedupFilterConfig.EXPIRE_AFTER_MS, horizon));
      Document old = fetched(prose("old", 7), 0);
      send(old);
      // sixty days of crawl later: old's keys are past a 30-day horizon
      Document later = fetched(prose("later", 8), 60 * day);
      send(later);
      driver.advanceWallClockTime(Duration.ofSeconds(2)); // an expiry pass
      Document copy = fetched(doc("copy", old.getText()), 60 * day + 1);
      send(copy);
      send(old); // the same document in another record

      if (horizon == 0) {
        assertThat(cleanIds()).containsExactly(old.getId(), later.getId());
        assertThat(rejected.readValue().getReason()).isEqualTo("EXACT_DUPLICATE");
      } else {
        assertThat(cleanIds())
            .as("the copy is kept: the keys it shares with old are forgotten")
            .containsExactly(old.getId(), later.getId(), copy.getId());
        assertThat(rejected.isEmpty()).isTrue();
      }
      assertThat(metrics.replaysDropped()).as("horizon %d", horizon).isEqualTo(1);
      driver.close();
      driver = null;
      metrics = DedupMetrics.inMemory();
    }
  }

  @Test
  void aPageCleanedOnlyOfWhiteSpaceKeepsTheKeysOfThePageAsItCame() {
    start();
    // paragraphs apart by blank lines, and white space at their ends, which C4 drops: its exact and
    // replay keys take one pass
    String text = SyntheticText.text(33, 6);
    Document spaced =
        fetched(doc("spaced", "\n" + text.replace("\n", "\t\n\n\u2003") + " \n\n"), -1);
    // the same text as C4 leaves it, fetched later
    Document cleaned = fetched(doc("cleaned", text), 0);
    send(spaced);
    send(spaced);
    send(cleaned);

    assertThat(cleanIds()).containsExactly(spaced.getId());
    assertThat(rejected.readValuesToList())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getDocId()).isEqualTo(cleaned.getId());
              assertThat(r.getReason()).isEqualTo("EXACT_DUPLICATE");
              assertThat(r.getDupOf()).isEqualTo(spaced.getId());
            });
    assertThat(metrics.replaysDropped()).isEqualTo(1);
    // the keys are those of the page as it came, as every build has written them
    KeyValueStore<Bytes, byte[]> smallest =
        driver.getKeyValueStore(DedupFilterTopology.SMALLEST_STORE);
    DedupKey exact = new DedupKey(DedupKey.Kind.EXACT, 0, TextFingerprint.of(spaced.getText()));
    assertThat(Member.fromBytes(smallest.get(DedupKey.storeKey(exact.encode()))).docId())
        .isEqualTo(spaced.getId());
    // a replay key keeps the record that carried the document first, and nothing else
    DedupKey replay =
        new DedupKey(DedupKey.Kind.ID, 0, TextFingerprint.of(spaced.getId(), spaced.getText()));
    assertThat(Member.fromBytes(smallest.get(DedupKey.storeKey(replay.encode()))).instance())
        .matches("\\d+:\\d+");
  }

  @Test
  void aReplayIsDroppedWhateverItsOutcomeWas() {
    start();
    Document d = prose("r", 12);
    Document tiny = doc("s", "Too short.");
    send(d);
    send(tiny);
    send(d);
    send(tiny);

    assertThat(cleanIds()).containsExactly(d.getId());
    assertThat(rejected.readValuesToList())
        .singleElement()
        .satisfies(r -> assertThat(r.getDocId()).isEqualTo(tiny.getId()));
    assertThat(metrics.replaysDropped()).isEqualTo(2);
  }

  @Test
  void keysSentOneARecordByAnOlderBuildAreStillAnsweredAndRemembered() {
    start();
    // what a build before key batches left on the internal topics during a rolling upgrade: the
    // document to its gathering step, and each of its keys in a record of its own
    Document old = prose("old", 21);
    String fingerprint = TextFingerprint.of(old.getText());
    Member member = textMember(old, Docs.INGESTED.toEpochMilli(), "0:99");
    String gatherKey = old.getId() + "@0:99";
    List<String> keys =
        List.of(
            new DedupKey(DedupKey.Kind.EXACT, 0, fingerprint).encode(),
            new DedupKey(
                    DedupKey.Kind.ID, 0, TextFingerprint.of(old.getId() + "\n" + old.getText()))
                .encode());
    String app = new DedupFilterConfig(Map.of()).applicationId();
    TestInputTopic<String, byte[]> gather =
        driver.createInputTopic(
            app + "-" + DedupFilterTopology.GATHER + "-repartition",
            Serdes.String().serializer(),
            Serdes.ByteArray().serializer());
    TestInputTopic<String, byte[]> byKey =
        driver.createInputTopic(
            app + "-" + DedupFilterTopology.BY_KEY + "-repartition",
            Serdes.String().serializer(),
            Serdes.ByteArray().serializer());
    gather.pipeInput(
        gatherKey,
        Gather.encode(new Gather.Doc(keys.size(), Topics.CORPUS_RAW.serialize(old), new byte[0])));
    for (String key : keys) {
      byKey.pipeInput(key, member.toBytes());
    }
    assertThat(cleanIds()).containsExactly(old.getId());

    // this build's batches meet the keys the older records left
    Document copy = fetched(doc("copy", old.getText()), 5);
    send(copy);
    RejectedDocument dup = rejected.readValue();
    assertThat(dup.getReason()).isEqualTo("EXACT_DUPLICATE");
    assertThat(dup.getDupOf()).isEqualTo(old.getId());
    assertThat(cleanIds()).isEmpty();

    // and the older document read again from another record is known by the replay key the
    // older build computed from a String of its id and text
    send(old);
    assertThat(cleanIds()).isEmpty();
    assertThat(rejected.isEmpty()).isTrue();
    assertThat(metrics.replaysDropped()).isEqualTo(1);
  }

  /** The member of a document's text, from the record {@code instance}. */
  private static Member textMember(Document d, long eventTime, String instance) {
    return new Member(
        eventTime, d.getId(), instance, TextFingerprint.hash64(TextFingerprint.of(d.getText())));
  }

  @Test
  void keysAnEarlierBuildStoredAsStringsAreFoundAndMoveToTheirBinaryForm() {
    start();
    // dedup-smallest as a build before binary keys left it: the encoded key's UTF-8 and a member
    // of version 3, the smallest holder of the exact key
    Document old = prose("old", 22);
    String fingerprint = TextFingerprint.of(old.getText());
    Member holder = textMember(old, Docs.INGESTED.toEpochMilli() - 60_000, "0:7");
    String exact = new DedupKey(DedupKey.Kind.EXACT, 0, fingerprint).encode();
    KeyValueStore<Bytes, byte[]> smallest =
        driver.getKeyValueStore(DedupFilterTopology.SMALLEST_STORE);
    smallest.put(DedupKey.legacyStoreKey(exact), holder.toBytes());

    Document copy = doc("copy", old.getText());
    send(copy);

    RejectedDocument dup = rejected.readValue();
    assertThat(dup.getReason()).isEqualTo("EXACT_DUPLICATE");
    assertThat(dup.getDupOf()).isEqualTo(old.getId());
    assertThat(smallest.get(DedupKey.legacyStoreKey(exact))).isNull();
    assertThat(Member.fromBytes(smallest.get(DedupKey.storeKey(exact)))).isEqualTo(holder);
    try (var it = smallest.all()) {
      it.forEachRemaining(
          kv ->
              assertThat(DedupKey.isLegacyStoreKey(kv.key.get())).as(kv.key.toString()).isFalse());
    }
  }

  @Test
  void keysOneARecordDecideAsKeyBatchesDo() {
    Document first = prose("a", 3);
    // later event times: each is the larger of any pair it makes
    Document copy = fetched(doc("b", first.getText().toUpperCase()), 1);
    Document near = fetched(doc("c", edited(first.getText(), 100)), 2);
    Document other = fetched(prose("d", 4), 3);
    Document tiny = doc("e", "Too short.");
    List<String> decided = new java.util.ArrayList<>();
    for (boolean batches : new boolean[] {true, false}) {
      start(Map.of(DedupFilterConfig.KEY_BATCHES, batches));
      for (Document d : List.of(first, copy, near, other, tiny, first)) {
        send(d);
      }
      List<String> outcomes = new java.util.ArrayList<>();
      cleanIds().forEach(id -> outcomes.add(id + " clean"));
      rejected
          .readValuesToList()
          .forEach(r -> outcomes.add(r.getDocId() + " " + r.getReason() + " " + r.getDupOf()));
      outcomes.add("replays " + metrics.replaysDropped());
      decided.add(String.join("\n", outcomes));
      driver.close();
      metrics = DedupMetrics.inMemory();
    }
    assertThat(decided.get(1)).isEqualTo(decided.get(0));
    assertThat(decided.get(0))
        .contains(copy.getId() + " EXACT_DUPLICATE " + first.getId())
        .contains(near.getId() + " NEAR_DUPLICATE " + first.getId())
        .contains("replays 1");
    driver = null;
  }

  @Test
  void aCopyOfARejectedTextInASourceWithOtherRulesIsKept() {
    start(Map.of(DedupFilterConfig.RULES_SOURCE + "notes", "pii"));
    Document shortWeb = doc("w", "Too short for the web.");
    Document notes = doc("n", "Too short for the web.");
    notes.getSource().setName("notes");
    send(shortWeb);
    send(notes);

    assertThat(rejected.readValue().getReason()).isEqualTo("GOPHER_SHORT_DOC");
    assertThat(cleanIds()).containsExactly(notes.getId());
  }

  @Test
  void everyStatefulPartIsNamed() {
    String description =
        DedupFilterTopology.build(new DedupFilterConfig(Map.of()), metrics).describe().toString();

    assertThat(description)
        .contains(
            DedupFilterTopology.BY_KEY + "-repartition",
            DedupFilterTopology.GATHER + "-repartition")
        .contains(
            DedupFilterTopology.SMALLEST_STORE,
            DedupFilterTopology.PENDING_STORE,
            DedupFilterTopology.GATHER_STORE,
            DedupFilterTopology.TAKEDOWN_STORE)
        .doesNotContain("KSTREAM-")
        .doesNotContain("KTABLE-");
  }

  private static long entries(KeyValueStore<Object, Object> store) {
    long n = 0;
    try (var it = store.all()) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }

  private static byte[] bytes(RejectedDocument r) {
    byte[] b = new byte[r.getOriginal().remaining()];
    r.getOriginal().duplicate().get(b);
    return b;
  }

  // ---- images ----

  static dev.refinery.schemas.ImageRef image(int index, String sha, long phash, int w, int h) {
    return dev.refinery.schemas.ImageRef.newBuilder()
        .setSha256(sha)
        .setMediaType("image/png")
        .setWidth(w)
        .setHeight(h)
        .setSize(1000)
        .setPhash(phash)
        .setOffset(0)
        .setIndex(index)
        .build();
  }

  static Document withImages(
      String id, String text, int minutes, dev.refinery.schemas.ImageRef... images) {
    Document doc = fetched(doc(id, text), minutes);
    doc.setImages(new java.util.ArrayList<>(List.of(images)));
    return doc;
  }

  static final long PHASH = 0x9ff1c18423ce8cbcL;
  static final String SHA_A = "a".repeat(64);
  static final String SHA_B = "b".repeat(64);
  static final String SHA_C = "c".repeat(64);

  @Test
  void theSameImageInALaterDocumentLeavesItAndTheSmallerKeepsIt() {
    start();
    send(withImages("first", "a photo of a camera", 0, image(0, SHA_A, PHASH, 512, 512)));
    send(
        withImages(
            "second",
            "the same camera again",
            5,
            image(0, SHA_A, PHASH, 512, 512),
            image(1, SHA_B, ~PHASH, 400, 300)));
    send(withImages("third", "", 9, image(0, SHA_A, PHASH, 512, 512)));

    Map<String, Document> out = new HashMap<>();
    clean.readValuesToList().forEach(d -> out.put(d.getNativeId(), d));
    assertThat(out.get("first").getImages()).hasSize(1);
    assertThat(out.get("first").getSignals()).containsEntry("images", 1.0);
    assertThat(out.get("second").getImages())
        .extracting(dev.refinery.schemas.ImageRef::getSha256)
        .containsExactly(SHA_B);
    assertThat(out).doesNotContainKey("third");

    List<RejectedDocument> rejections = rejected.readValuesToList();
    assertThat(rejections).hasSize(2);
    RejectedDocument image = rejections.get(0);
    assertThat(image.getReason()).isEqualTo("IMAGE_EXACT_DUPLICATE");
    assertThat(image.getImageIndex()).isZero();
    assertThat(image.getImageSha256()).isEqualTo(SHA_A);
    assertThat(image.getDocId()).isEqualTo(out.get("second").getId());
    assertThat(image.getDupOf()).isEqualTo(out.get("first").getId());
    RejectedDocument whole = rejections.get(1);
    assertThat(whole.getImageIndex()).as("a document with nothing new is the duplicate").isNull();
    assertThat(whole.getReason()).isEqualTo("IMAGE_EXACT_DUPLICATE");
    assertThat(whole.getDetail()).contains("no text");
  }

  @Test
  void aNearImageIsFoundByItsPerceptualHashAndAFarOneIsNot() {
    start();
    send(withImages("original", "the original photo", 0, image(0, SHA_A, PHASH, 512, 512)));
    // three bits apart: a re-encoded or resized copy
    send(
        withImages(
            "copy", "a copy of it", 5, image(0, SHA_B, PHASH ^ 0x8000_0000_0001_0100L, 256, 256)));
    // twenty-four bits apart: another photo
    send(
        withImages(
            "other",
            "another photo",
            6,
            image(0, SHA_C, PHASH ^ 0x00FF_00FF_00FF_0000L, 512, 512)));
    List<RejectedDocument> rejections = rejected.readValuesToList();
    assertThat(rejections).hasSize(1);
    assertThat(rejections.get(0).getReason()).isEqualTo("IMAGE_NEAR_DUPLICATE");
    assertThat(rejections.get(0).getMeasured()).isEqualTo(3.0);
    assertThat(rejections.get(0).getThreshold()).isEqualTo(8.0);
    assertThat(clean.readValuesToList())
        .extracting(d -> d.getImages().size())
        .containsExactly(1, 0, 1);
  }

  @Test
  void imagesTooSmallOrTooLongAreRefusedAndACaptionIsNotHeldToProseRules() {
    start();
    send(
        withImages(
            "icons",
            "a caption",
            0,
            image(0, SHA_A, PHASH, 100, 100),
            image(1, SHA_B, ~PHASH, 900, 200),
            image(2, SHA_C, PHASH ^ 0xFFFF_FFFFL, 300, 200)));
    List<RejectedDocument> rejections = rejected.readValuesToList();
    assertThat(rejections)
        .extracting(RejectedDocument::getReason, RejectedDocument::getImageIndex)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("IMAGE_TOO_SMALL", 0),
            org.assertj.core.groups.Tuple.tuple("IMAGE_ASPECT_RATIO", 1));
    assertThat(rejections.get(0).getMeasured()).isEqualTo(100.0);
    assertThat(rejections.get(1).getMeasured()).isEqualTo(4.5);
    Document kept = clean.readValue();
    assertThat(kept.getText())
        .as("two words: Gopher would refuse it as prose")
        .isEqualTo("a caption");
    assertThat(kept.getImages())
        .extracting(dev.refinery.schemas.ImageRef::getIndex)
        .containsExactly(2);

    send(withImages("only-icons", "", 1, image(0, SHA_A, PHASH, 10, 10)));
    RejectedDocument whole = rejected.readValue();
    assertThat(whole.getReason()).isEqualTo("IMAGE_TOO_SMALL");
    assertThat(whole.getImageIndex()).isNull();
    assertThat(clean.isEmpty()).isTrue();
  }

  @Test
  void aTakedownOfAnImageCoversEveryDocumentHoldingIt() {
    start();
    takedown(TakedownScope.IMAGE, SHA_B.toUpperCase(java.util.Locale.ROOT));
    send(
        withImages(
            "holds",
            "text and a photo",
            0,
            image(0, SHA_A, PHASH, 512, 512),
            image(1, SHA_B, ~PHASH, 512, 512)));
    send(
        withImages(
            "free", "text and another photo", 0, image(0, SHA_C, PHASH ^ 0xFFFF_FFFFL, 512, 512)));
    RejectedDocument r = rejected.readValue();
    assertThat(r.getReason()).isEqualTo("TAKEDOWN");
    assertThat(r.getDetail()).contains("IMAGE:" + SHA_B);
    assertThat(clean.readValuesToList()).extracting(Document::getNativeId).containsExactly("free");
  }

  @Test
  void anImageMovesWithTheTextWhenARuleEditsItAndAReplayIsRefusedOnce() {
    start();
    String text = "Write to jane.doe@example.com for the photo below.\n\nIt shows the harbour.";
    int offset = text.indexOf("\n\nIt");
    dev.refinery.schemas.ImageRef photo = image(0, SHA_A, PHASH, 512, 512);
    photo.setOffset(offset);
    Document doc = withImages("harbour", text, 0, photo, image(1, SHA_B, ~PHASH, 50, 50));
    send(doc);
    send(doc); // a replay: its image's refusal is not written twice
    Document out = clean.readValue();
    assertThat(out.getText()).doesNotContain("jane.doe@example.com");
    int at = out.getImages().get(0).getOffset();
    assertThat(out.getText().substring(at)).startsWith("\n\nIt shows the harbour.");
    assertThat(out.getText().substring(0, at)).endsWith("for the photo below.");
    assertThat(clean.isEmpty()).isTrue();
    assertThat(rejected.readValuesToList())
        .extracting(RejectedDocument::getReason)
        .containsExactly("IMAGE_TOO_SMALL");
  }
}
