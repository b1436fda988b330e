package dev.refinery.dedup;

import dev.refinery.schemas.RejectedDocument;
import dev.refinery.schemas.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The dedup-filter topology:
 *
 * <pre>
 * corpus.raw.v1 ─▶ decode ─┬─▶ rekey by text fingerprint ─▶ [dedup-by-text-hash] ─▶ dedup-filter ─┬─▶ corpus.clean.v1 (by doc id)
 *                          └─▶ corpus.rejected.v1 (UNDECODABLE)   (store dedup-exact-seen)      └─▶ corpus.rejected.v1 (by doc id)
 * </pre>
 *
 * Every processor, the repartition topic and the store are named, so an upgrade keeps its state.
 */
public final class DedupFilterTopology {
  /** RocksDB store: text fingerprint to the id of the first document with that text. */
  public static final String EXACT_STORE = "dedup-exact-seen";

  /** Repartition topic (suffix) that brings every copy of a text to the same task. */
  public static final String BY_TEXT_HASH = "dedup-by-text-hash";

  private DedupFilterTopology() {}

  public static Topology build(DedupFilterConfig config, DedupMetrics metrics) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(EXACT_STORE), Serdes.String(), Serdes.String()));
    Produced<String, RejectedDocument> toRejected =
        Produced.with(Serdes.String(), Topics.CORPUS_REJECTED.valueSerde());

    KStream<String, Verdict> decoded =
        builder.stream(
                Topics.CORPUS_RAW.name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("raw-in"))
            .peek((k, v) -> metrics.in(), Named.as("count-in"))
            .processValues(
                () -> new DecodeProcessor(config.rejectedMaxBytes()), Named.as("decode"));

    decoded
        .split(Named.as("decoded-"))
        .branch(
            (k, v) -> !v.accepted(),
            Branched.withConsumer(
                undecodable ->
                    undecodable
                        .mapValues(Verdict::rejection, Named.as("undecodable-rejection"))
                        .peek(
                            (k, v) -> metrics.rejected(v.getReason()),
                            Named.as("count-undecodable"))
                        .to(Topics.CORPUS_REJECTED.name(), toRejected.withName("undecodable-out")),
                "undecodable"))
        .defaultBranch(
            Branched.withConsumer(
                documents ->
                    documents
                        .map(
                            (k, v) ->
                                KeyValue.pair(
                                    TextFingerprint.of(v.document().getText()), v.document()),
                            Named.as("key-by-text-hash"))
                        .repartition(
                            Repartitioned.with(Serdes.String(), Topics.CORPUS_RAW.valueSerde())
                                .withName(BY_TEXT_HASH))
                        .processValues(
                            () -> new DedupFilterProcessor(config, metrics),
                            Named.as("dedup-filter"),
                            EXACT_STORE)
                        .split(Named.as("judged-"))
                        .branch(
                            (k, v) -> !v.accepted(),
                            Branched.withConsumer(
                                rejected ->
                                    rejected
                                        .map(
                                            (k, v) ->
                                                KeyValue.pair(
                                                    v.rejection().getDocId(), v.rejection()),
                                            Named.as("rejection-by-doc-id"))
                                        .peek(
                                            (k, v) -> metrics.rejected(v.getReason()),
                                            Named.as("count-rejected"))
                                        .to(
                                            Topics.CORPUS_REJECTED.name(),
                                            toRejected.withName("rejected-out")),
                                "rejected"))
                        .defaultBranch(
                            Branched.withConsumer(
                                clean ->
                                    clean
                                        .map(
                                            (k, v) ->
                                                KeyValue.pair(v.document().getId(), v.document()),
                                            Named.as("clean-by-doc-id"))
                                        .peek((k, v) -> metrics.clean(), Named.as("count-clean"))
                                        .to(
                                            Topics.CORPUS_CLEAN.name(),
                                            Produced.with(
                                                    Serdes.String(),
                                                    Topics.CORPUS_CLEAN.valueSerde())
                                                .withName("clean-out")),
                                "clean")),
                "documents"));
    return builder.build();
  }
}
