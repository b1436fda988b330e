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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * The current reward-model pairs: {@code feedback.rm-pairs.v1} read to its end (read_committed),
 * each set at its latest revision, retracted sets left out, grouped by prompt. Written as JSONL in
 * the layout TRL's reward trainer reads ({@code prompt}, {@code chosen}, {@code rejected}, and
 * {@code margin} where there is one), optionally with the lineage columns.
 */
public final class RewardPairs {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A set at its latest revision. */
  private static final class PairSet {
    long revision = Long.MIN_VALUE;
    final Map<String, RewardModelPair> pairs = new LinkedHashMap<>();
  }

  private final Map<String, PairSet> sets = new HashMap<>();
  private long records;
  private long undecodable;

  /** Adds one record of the topic, in topic order. */
  public void add(RewardModelPair pair) {
    records++;
    PairSet set = sets.computeIfAbsent(pair.getSetId(), s -> new PairSet());
    if (pair.getSetRevision() < set.revision) {
      return;
    }
    if (pair.getSetRevision() > set.revision) {
      set.revision = pair.getSetRevision();
      set.pairs.clear();
    }
    if (pair.getSetSize() > 0) {
      set.pairs.put(pair.getPairId(), pair);
    }
  }

  /**
   * Reads the whole topic as it is now.
   *
   * @param progress told the number of records read so far, now and then
   */
  public static RewardPairs read(KafkaClients clients, LongConsumer progress) {
    RewardPairs pairs = new RewardPairs();
    TopicReader.readToEnd(
        clients,
        Topics.FEEDBACK_RM_PAIRS,
        "refinery-feedback-export",
        Duration.ofMinutes(30),
        record -> {
          try {
            pairs.add(AvroCodec.of(RewardModelPair.class).decode(record.value()));
          } catch (RecordDecodeException | NullPointerException e) {
            pairs.undecodable++;
          }
        },
        progress);
    return pairs;
  }

  /** The current pairs of the given origins, grouped by prompt (group id), then by pair id. */
  public List<RewardModelPair> current(Set<PairOrigin> origins) {
    List<RewardModelPair> all = new ArrayList<>();
    for (PairSet set : sets.values()) {
      for (RewardModelPair p : set.pairs.values()) {
        if (origins.contains(p.getOrigin())) {
          all.add(p);
        }
      }
    }
    all.sort(
        Comparator.comparing(RewardModelPair::getGroupId)
            .thenComparing(RewardModelPair::getPairId));
    return all;
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
    boolean anyMargin = pairs.stream().anyMatch(p -> p.getMargin() != null);
    boolean margins =
        format == Format.OPENRLHF
            || margin == Margin.ALWAYS
            || (margin == Margin.AUTO && anyMargin);
    if (margin == Margin.NEVER && format == Format.OPENRLHF) {
      margins = false;
    }
    long lines = 0;
    for (RewardModelPair p : pairs) {
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
      lines++;
    }
    return lines;
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
