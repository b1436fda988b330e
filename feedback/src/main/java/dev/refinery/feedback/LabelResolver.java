package dev.refinery.feedback;

import dev.refinery.schemas.Flag;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.Rating;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a label as a tool described it into one that names completions by id and its labeler by
 * pseudonym.
 *
 * <p>Tools point at completions in four ways, which the parsers mark: {@code =<id>} names a
 * completion id; {@code #<n>} the n-th completion (1-based: Argilla's {@code response-2}); {@code
 * ~<name>} a control's target that may or may not be a completion (a rating of {@code answer2}),
 * resolved by id, then by a trailing number, else to the sample as a whole; and {@code $} what a
 * task showed in one of its data fields (Label Studio): a completion id, or a completion's text,
 * matched to exactly one completion of the sample or refused naming that field.
 */
final class LabelResolver {
  private static final Pattern TRAILING_NUMBER = Pattern.compile("(\\d+)$");

  private LabelResolver() {}

  static String byId(String id) {
    return "=" + id;
  }

  static String byPosition(int oneBased) {
    return "#" + oneBased;
  }

  static String soft(String name) {
    return "~" + name;
  }

  /**
   * What a task showed in a data field: {@code id} if it is a completion id of the sample, else the
   * one completion whose text is {@code text} (or {@code id} when there is no text).
   *
   * @param field the task data field, named in a refusal
   */
  static String shown(String field, String id, String text) {
    return "$" + field + '\u0000' + id + '\u0000' + (text == null ? "" : text);
  }

  /** The other completion of a sample of two than the one {@code ref} names. */
  static String otherThan(String ref) {
    return "!" + ref;
  }

  /** A reference by id when the text names a completion of the sample, else by trailing number. */
  static String idOrPosition(String text) {
    Matcher m = TRAILING_NUMBER.matcher(text);
    return m.find() ? "?" + text : byId(text);
  }

  /**
   * The label with completion ids and the labeler's pseudonym.
   *
   * @param sample the sample, or {@code null} when the gateway does not check samples
   * @param context the request path of the label, to name fields in errors
   * @throws BadPayload naming the field when a completion is not the sample's
   */
  static PreferenceLabel resolve(
      PreferenceLabel raw, KnownSample sample, Pseudonyms pseudonyms, String context)
      throws BadPayload {
    List<List<String>> ranking = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int t = 0; t < raw.getRanking().size(); t++) {
      List<String> tier = new ArrayList<>();
      for (int i = 0; i < raw.getRanking().get(t).size(); i++) {
        String field = Json.at(context, "ranking[" + t + "][" + i + "]");
        String id = completion(raw.getRanking().get(t).get(i), sample, raw, field, true);
        if (!seen.add(id)) {
          throw new BadPayload(field, "completion '" + id + "' is ranked twice");
        }
        tier.add(id);
      }
      if (!tier.isEmpty()) {
        ranking.add(tier);
      }
    }
    if (!ranking.isEmpty() && seen.size() < 2) {
      throw new BadPayload(
          Json.at(context, "ranking"), "a preference needs two completions or more");
    }
    if (ranking.isEmpty() && raw.getRatings().isEmpty()) {
      throw new BadPayload(
          context.isEmpty() ? null : context, "the label has no preference and no rating");
    }
    List<Rating> ratings = new ArrayList<>();
    for (int i = 0; i < raw.getRatings().size(); i++) {
      Rating r = raw.getRatings().get(i);
      String id =
          r.getCompletionId() == null
              ? null
              : completion(
                  r.getCompletionId(),
                  sample,
                  raw,
                  Json.at(context, "ratings[" + i + "].completion_id"),
                  false);
      ratings.add(Rating.newBuilder(r).setCompletionId(id).build());
    }
    List<Flag> flags = new ArrayList<>();
    for (int i = 0; i < raw.getFlags().size(); i++) {
      Flag f = raw.getFlags().get(i);
      String id =
          f.getCompletionId() == null
              ? null
              : completion(
                  f.getCompletionId(),
                  sample,
                  raw,
                  Json.at(context, "flags[" + i + "].completion_id"),
                  false);
      flags.add(Flag.newBuilder(f).setCompletionId(id).build());
    }
    return PreferenceLabel.newBuilder(raw)
        .setRanking(ranking)
        .setRatings(ratings)
        .setFlags(flags)
        .setLabeler(pseudonyms.of(raw.getTool(), raw.getLabeler()))
        .build();
  }

  /**
   * The completion id a reference names; {@code null} for a soft reference to something else.
   *
   * @param strict whether a reference that names no completion is an error (rankings) or the whole
   *     sample (ratings and flags)
   */
  private static String completion(
      String ref, KnownSample sample, PreferenceLabel raw, String field, boolean strict)
      throws BadPayload {
    char kind = ref.charAt(0);
    String value = ref.substring(1);
    if (kind == '!') {
      String named = completion(value, sample, raw, field, true);
      if (sample == null || sample.completionIds().size() != 2) {
        throw new BadPayload(
            field,
            "a choice of one completion needs a sample of exactly two, and sample '"
                + raw.getSampleId()
                + "' has "
                + (sample == null ? "unknown completions" : sample.completionIds().size()));
      }
      return sample.completionIds().get(sample.completionIds().get(0).equals(named) ? 1 : 0);
    }
    if (kind == '$') {
      return shownCompletion(value, sample, raw, strict);
    }
    if (sample == null) {
      return switch (kind) {
        case '=', '?' -> value;
        case '~' -> strict ? value : null;
        default ->
            throw new BadPayload(
                field,
                "the tool names completion "
                    + value
                    + " by position, and the gateway does not know sample '"
                    + raw.getSampleId()
                    + "' (feedback.sample.check=false): send completion ids");
      };
    }
    List<String> ids = sample.completionIds();
    if (kind != '#' && ids.contains(value)) {
      return value;
    }
    if (kind == '#' || kind == '?' || kind == '~') {
      Matcher m = TRAILING_NUMBER.matcher(value);
      if (m.find()) {
        int position = Integer.parseInt(m.group(1));
        if (position >= 1 && position <= ids.size()) {
          return ids.get(position - 1);
        }
        if (kind == '#' || strict) {
          throw new BadPayload(
              field,
              "'"
                  + value
                  + "' is neither a completion id of sample '"
                  + raw.getSampleId()
                  + "' nor a position in it; its completions are "
                  + ids);
        }
      }
    }
    if (kind == '~' && !strict) {
      return null;
    }
    throw new BadPayload(
        field,
        "sample '"
            + raw.getSampleId()
            + "' has no completion '"
            + value
            + "'; its completions are "
            + ids);
  }

  /** The completion a task showed (see {@link #shown}); {@code null} for a soft miss. */
  private static String shownCompletion(
      String encoded, KnownSample sample, PreferenceLabel raw, boolean strict) throws BadPayload {
    String[] parts = encoded.split("\u0000", -1);
    String field = parts[0];
    String id = parts[1];
    String text = parts[2].isEmpty() ? id : parts[2];
    if (sample == null) {
      if (!id.isBlank()) {
        return id;
      }
      throw new BadPayload(
          field,
          "shows no completion id, and the gateway does not know sample '"
              + raw.getSampleId()
              + "' to match its text (feedback.sample.check=false)");
    }
    List<String> ids = sample.completionIds();
    if (ids.contains(id)) {
      return id;
    }
    long hash = KnownSample.textHash(text);
    List<String> matches = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      if (sample.textHashes().get(i) == hash) {
        matches.add(ids.get(i));
      }
    }
    if (matches.size() == 1) {
      return matches.get(0);
    }
    if (matches.size() > 1) {
      throw new BadPayload(
          field,
          "cannot tell which completion it shows: completions "
              + matches
              + " of sample '"
              + raw.getSampleId()
              + "' have the same text");
    }
    if (!strict) {
      return null;
    }
    throw new BadPayload(
        field,
        "shows neither a completion id nor the text of a completion of sample '"
            + raw.getSampleId()
            + "' (its completions are "
            + ids
            + "): put each completion's id or exact text in the field the template shows");
  }
}
