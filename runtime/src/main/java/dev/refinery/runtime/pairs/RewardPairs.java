package dev.refinery.runtime.pairs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicReader;
import dev.refinery.schemas.AvroCodec;
import dev.refinery.schemas.PairOrigin;
import dev.refinery.schemas.RecordDecodeException;
import dev.refinery.schemas.RewardModelPair;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import org.apache.avro.generic.GenericRecord;

/**
 * The current reward-model pairs: {@code feedback.rm-pairs.v1} read to its end (read_committed),
 * each set at its latest revision, retracted sets left out, grouped by prompt. Written as JSONL in
 * the layout TRL's reward trainer reads ({@code prompt}, {@code chosen}, {@code rejected}, and
 * {@code margin} where there is one), optionally with the lineage columns.
 *
 * <p>The heap holds an index, not the pairs: for each pair of a set's latest revision its group,
 * its id, its origin, whether it has a margin and where its record is: about 350 bytes a pair where
 * each set is one pair, about 100 where sets are of six (100,000 pairs measured). The records
 * themselves ({@link #read}) go to a spool file as they are read, in the temporary directory and
 * deleted at once so that nothing is left behind even if the process is killed, and are decoded
 * again one at a time as they are written ({@link #write(Set, Format, Margin, boolean,
 * OutputStream)}). A preference set of a lab's size (hundreds of thousands of pairs of a few
 * kilobytes each) held whole took gigabytes of heap, once for every export and every {@code GET
 * /v1/rm-pairs} of the trainer-bridge at the same time; the spool takes the topic's bytes on disk.
 * Close it when done ({@link #close}).
 */
public final class RewardPairs implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AvroCodec<RewardModelPair> CODEC = AvroCodec.of(RewardModelPair.class);

  /** The fields {@link #read} decodes of every record to index it; the texts are skipped. */
  private static final AvroCodec<RewardModelPair>.Projection INDEXED =
      CODEC.projection(
          "pair_id", "set_id", "set_revision", "set_size", "group_id", "margin", "origin");

  /** A pair of a set's latest revision: what sorts, filters and finds it. */
  private record Entry(
      String groupId, String pairId, PairOrigin origin, boolean margin, long at, int length) {}

  /** A set at its latest revision. */
  private static final class PairSet {
    long revision = Long.MIN_VALUE;
    final Map<String, Entry> pairs = new LinkedHashMap<>();
  }

  private static final Comparator<Entry> ORDER =
      Comparator.comparing(Entry::groupId).thenComparing(Entry::pairId);

  private final Map<String, PairSet> sets = new HashMap<>();
  private final Spool spool;
  private long records;
  private long undecodable;

  /** Pairs added one by one ({@link #add}), kept in memory: for tests and small sets. */
  public RewardPairs() {
    this(Spool.inMemory());
  }

  private RewardPairs(Spool spool) {
    this.spool = spool;
  }

  /** Adds one record of the topic, in topic order. */
  public void add(RewardModelPair pair) {
    records++;
    byte[] bytes = CODEC.encode(pair);
    index(
        pair.getSetId().toString(),
        pair.getSetRevision(),
        pair.getSetSize(),
        pair.getGroupId().toString(),
        pair.getPairId().toString(),
        pair.getOrigin(),
        pair.getMargin() != null,
        bytes);
  }

  /** Adds one record as the topic holds it; an undecodable one is counted and left out. */
  private void add(byte[] value) {
    records++;
    GenericRecord r;
    try {
      r = INDEXED.decode(value);
    } catch (RecordDecodeException e) {
      undecodable++;
      return;
    }
    if (r == null) {
      undecodable++; // a tombstone: the feedback stage writes none
      return;
    }
    index(
        r.get("set_id").toString(),
        (Long) r.get("set_revision"),
        (Integer) r.get("set_size"),
        r.get("group_id").toString(),
        r.get("pair_id").toString(),
        PairOrigin.valueOf(r.get("origin").toString()),
        r.get("margin") != null,
        value);
  }

  private void index(
      String setId,
      long revision,
      int setSize,
      String groupId,
      String pairId,
      PairOrigin origin,
      boolean margin,
      byte[] value) {
    PairSet set = sets.computeIfAbsent(setId, s -> new PairSet());
    if (revision < set.revision) {
      return;
    }
    if (revision > set.revision) {
      set.revision = revision;
      set.pairs.clear();
    }
    if (setSize > 0) {
      long at = spool.append(value);
      set.pairs.put(pairId, new Entry(groupId, pairId, origin, margin, at, value.length));
    }
  }

  /**
   * Reads the whole topic as it is now, spooling its records to a file (see the class comment).
   *
   * @param progress told the number of records read so far, now and then
   * @throws UncheckedIOException when the spool file cannot be made or written
   */
  public static RewardPairs read(KafkaClients clients, LongConsumer progress) {
    RewardPairs pairs = new RewardPairs(Spool.inFile());
    try {
      TopicReader.readToEnd(
          clients,
          Topics.FEEDBACK_RM_PAIRS,
          "refinery-feedback-export",
          Duration.ofMinutes(30),
          record -> pairs.add(record.value()),
          progress);
    } catch (RuntimeException e) {
      pairs.close();
      throw e;
    }
    return pairs;
  }

  /** The current pairs of the given origins, in order (see {@link #write}), all decoded. */
  public List<RewardModelPair> current(Set<PairOrigin> origins) {
    List<RewardModelPair> all = new ArrayList<>();
    for (Entry e : chosen(origins)) {
      all.add(decode(e));
    }
    return all;
  }

  /** The prompts (groups) the current pairs of the given origins belong to. */
  public long groups(Set<PairOrigin> origins) {
    return of(origins).map(Entry::groupId).distinct().count();
  }

  /** The current pairs of the given origins, in no order. */
  private java.util.stream.Stream<Entry> of(Set<PairOrigin> origins) {
    return sets.values().stream()
        .flatMap(set -> set.pairs.values().stream())
        .filter(e -> origins.contains(e.origin()));
  }

  /** The current pairs of the given origins, grouped by prompt (group id), then by pair id. */
  private List<Entry> chosen(Set<PairOrigin> origins) {
    return of(origins).sorted(ORDER).toList();
  }

  private RewardModelPair decode(Entry e) {
    return CODEC.decode(spool.read(e.at(), e.length()));
  }

  /**
   * Writes the current pairs of the given origins as JSONL in a trainer's format, grouped by prompt
   * (group id), then by pair id, decoding one record at a time.
   *
   * @param lineage add pair_id, group_id, sample_id, origin, models, labeler and rubric columns
   * @return lines written
   */
  public long write(
      Set<PairOrigin> origins, Format format, Margin margin, boolean lineage, OutputStream out)
      throws IOException {
    List<Entry> entries = chosen(origins);
    boolean margins = margins(format, margin, entries.stream().anyMatch(Entry::margin));
    long lines = 0;
    for (Entry e : entries) {
      writeRow(decode(e), format, margins, lineage, out);
      lines++;
    }
    return lines;
  }

  /** Deletes the spool. */
  @Override
  public void close() {
    spool.close();
  }

  /**
   * Where the records of the pairs are: appended as they are read, read back by position. In a file
   * (deleted as soon as it is opened, so that it goes with the process whatever its end), or in
   * memory.
   */
  private abstract static class Spool {
    abstract long append(byte[] bytes);

    abstract byte[] read(long at, int length);

    abstract void close();

    static Spool inMemory() {
      return new Spool() {
        private final List<byte[]> kept = new ArrayList<>();

        @Override
        long append(byte[] bytes) {
          kept.add(bytes);
          return kept.size() - 1;
        }

        @Override
        byte[] read(long at, int length) {
          return kept.get((int) at);
        }

        @Override
        void close() {
          kept.clear();
        }
      };
    }

    static Spool inFile() {
      Path file;
      FileChannel channel;
      try {
        file = Files.createTempFile("refinery-rm-pairs-", ".spool");
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot make the pairs' spool file in "
                + System.getProperty("java.io.tmpdir")
                + " ("
                + e.getMessage()
                + "); point java.io.tmpdir at a writable folder",
            e);
      }
      try {
        Files.delete(file); // it lives while the channel is open (not where a file in use stays)
      } catch (IOException e) {
        file.toFile().deleteOnExit();
      }
      return new Spool() {
        private long size;

        @Override
        long append(byte[] bytes) {
          long at = size;
          ByteBuffer buffer = ByteBuffer.wrap(bytes);
          try {
            while (buffer.hasRemaining()) {
              channel.write(buffer, at + buffer.position());
            }
          } catch (IOException e) {
            throw new UncheckedIOException(
                "cannot write the pairs' spool file (" + e.getMessage() + ")", e);
          }
          size += bytes.length;
          return at;
        }

        @Override
        byte[] read(long at, int length) {
          ByteBuffer buffer = ByteBuffer.allocate(length);
          try {
            while (buffer.hasRemaining()) {
              if (channel.read(buffer, at + buffer.position()) < 0) {
                throw new IOException("the spool file ends at " + (at + buffer.position()));
              }
            }
          } catch (IOException e) {
            throw new UncheckedIOException(
                "cannot read the pairs' spool file (" + e.getMessage() + ")", e);
          }
          return buffer.array();
        }

        @Override
        void close() {
          try {
            channel.close();
            Files.deleteIfExists(file);
          } catch (IOException e) {
            // closed or gone: nothing to keep
          }
        }
      };
    }
  }

  /** The shapes of an export, one JSON object a line, each as its trainer documents it. */
  public enum Format {
    /**
     * TRL's standard preference format with an explicit prompt: {@code prompt}, {@code chosen},
     * {@code rejected} as strings (RewardTrainer, DPOTrainer).
     */
    TRL_PREFERENCE,
    /**
     * TRL's implicit-prompt format: {@code chosen} and {@code rejected} hold the whole text, prompt
     * then a blank line then the response; TRL extracts the prompt as their common prefix.
     */
    TRL_IMPLICIT,
    /**
     * TRL's conversational format: {@code prompt} a list of messages ({@code user}), {@code chosen}
     * and {@code rejected} lists of one {@code assistant} message; trainers apply the model's chat
     * template.
     */
    TRL_CONVERSATIONAL,
    /**
     * OpenRLHF's reward and DPO datasets with {@code --prompt_key prompt --chosen_key chosen
     * --rejected_key rejected --apply_chat_template}: conversational messages, and {@code margin}
     * on every row (0 where the pair has none), as its RewardDataset reads it.
     */
    OPENRLHF;

    /** {@code trl-preference} and the like, as the command line names them. */
    public String cliName() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The format a command line names. */
    public static Format ofCliName(String name) {
      for (Format f : values()) {
        if (f.cliName().equals(name)) {
          return f;
        }
      }
      throw new IllegalArgumentException(
          "no export format '"
              + name
              + "': use "
              + java.util.Arrays.stream(values()).map(Format::cliName).toList());
    }
  }

  /**
   * Whether rows carry a {@code margin}. Trainers that read it (TRL's reward collator) need it on
   * every row or on none.
   */
  public enum Margin {
    /** On every row if any pair has one (0 where a pair has none), else on none. */
    AUTO,
    /** On every row, 0 where a pair has none. */
    ALWAYS,
    /** On no row. */
    NEVER
  }

  /**
   * Writes pairs as JSONL for TRL's reward trainer ({@link Format#TRL_PREFERENCE}, {@link
   * Margin#AUTO}).
   *
   * @param lineage add pair_id, group_id, sample_id, origin, models, labeler and rubric columns
   * @return lines written
   */
  public static long writeJsonl(List<RewardModelPair> pairs, boolean lineage, OutputStream out)
      throws IOException {
    return write(pairs, Format.TRL_PREFERENCE, Margin.AUTO, lineage, out);
  }

  /**
   * Writes pairs as JSONL in a trainer's format.
   *
   * @param lineage add pair_id, group_id, sample_id, origin, models, labeler and rubric columns
   * @return lines written
   */
  public static long write(
      List<RewardModelPair> pairs, Format format, Margin margin, boolean lineage, OutputStream out)
      throws IOException {
    boolean margins = margins(format, margin, pairs.stream().anyMatch(p -> p.getMargin() != null));
    for (RewardModelPair p : pairs) {
      writeRow(p, format, margins, lineage, out);
    }
    return pairs.size();
  }

  /** Whether rows carry a margin: see {@link Margin}; OpenRLHF's always do, unless never. */
  private static boolean margins(Format format, Margin margin, boolean anyMargin) {
    if (margin == Margin.NEVER) {
      return false;
    }
    return format == Format.OPENRLHF || margin == Margin.ALWAYS || anyMargin;
  }

  private static void writeRow(
      RewardModelPair p, Format format, boolean margins, boolean lineage, OutputStream out)
      throws IOException {
    ObjectNode row = JSON.createObjectNode();
    switch (format) {
      case TRL_PREFERENCE -> {
        row.put("prompt", p.getPrompt());
        row.put("chosen", p.getChosen());
        row.put("rejected", p.getRejected());
      }
      case TRL_IMPLICIT -> {
        row.put("chosen", p.getPrompt() + "\n\n" + p.getChosen());
        row.put("rejected", p.getPrompt() + "\n\n" + p.getRejected());
      }
      case TRL_CONVERSATIONAL, OPENRLHF -> {
        row.putArray("prompt").addObject().put("role", "user").put("content", p.getPrompt());
        row.putArray("chosen").addObject().put("role", "assistant").put("content", p.getChosen());
        row.putArray("rejected")
            .addObject()
            .put("role", "assistant")
            .put("content", p.getRejected());
      }
    }
    if (margins) {
      row.put("margin", p.getMargin() == null ? 0.0 : p.getMargin());
    }
    if (lineage) {
      row.put("pair_id", p.getPairId());
      row.put("group_id", p.getGroupId());
      row.put("sample_id", p.getSampleId());
      row.put("origin", p.getOrigin().name());
      row.put("chosen_model", p.getChosenModel());
      row.put("rejected_model", p.getRejectedModel());
      row.put("labeler", p.getLabeler());
      row.put("gold", p.getGold());
      row.put("rubric", p.getRubric());
    }
    out.write(JSON.writeValueAsBytes(row));
    out.write('\n');
  }

  /** Records read, including superseded and retracted ones. */
  public long records() {
    return records;
  }

  /** Records that could not be decoded (skipped). */
  public long undecodable() {
    return undecodable;
  }

  /** Sets at their latest revision, including retracted ones. */
  public int sets() {
    return sets.size();
  }
}
