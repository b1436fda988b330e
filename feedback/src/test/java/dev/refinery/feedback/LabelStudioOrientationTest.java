package dev.refinery.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refinery.schemas.PreferenceLabel;
import dev.refinery.schemas.Sample;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Label Studio answers are oriented by what the task showed, through the project's labeling
 * configuration: never by the order of the sample's completions, of the task's fields, or of the
 * delivery's JSON keys.
 */
class LabelStudioOrientationTest {
  static final String PAIRWISE_CONFIG =
      "<View><Text name=\"prompt\" value=\"$prompt\"/>"
          + "<Text name=\"left_answer\" value=\"$text1\"/><Text name=\"right_answer\" value=\"$text2\"/>"
          + "<Pairwise name=\"pw\" toName=\"left_answer,right_answer\"/></View>";
  static final String BUCKET_CONFIG =
      "<View><List name=\"answers\" value=\"$items\" title=\"Answers\"/>"
          + "<Ranker name=\"rank\" toName=\"answers\">"
          + "<Bucket name=\"good\" title=\"Good\"/><Bucket name=\"ok\" title=\"OK\"/>"
          + "<Bucket name=\"bad\" title=\"Bad\"/></Ranker></View>";

  private final Pseudonyms pseudonyms = new Pseudonyms(Fixtures.KEY);

  private static ObjectNode delivery(String config, ObjectNode data, ObjectNode result) {
    ObjectNode body = Fixtures.JSON.createObjectNode().put("action", "ANNOTATION_CREATED");
    ObjectNode annotation = body.putObject("annotation");
    annotation.put("id", 5).put("updated_at", "2026-11-20T13:52:48Z").put("completed_by", 4);
    annotation.putArray("result").add(result);
    ObjectNode task = body.putObject("task");
    task.put("id", 9).set("data", data);
    if (config != null) {
      body.putObject("project").put("id", 2).put("label_config", config);
    } else {
      task.put("project", 2);
    }
    return body;
  }

  private static ObjectNode pairwise(String selected) {
    ObjectNode result = Fixtures.JSON.createObjectNode();
    result.put("from_name", "pw").put("to_name", "pw").put("type", "pairwise");
    result.putObject("value").put("selected", selected);
    return result;
  }

  private static ObjectNode ranker(Map<String, List<String>> buckets) {
    ObjectNode result = Fixtures.JSON.createObjectNode();
    result.put("from_name", "rank").put("to_name", "answers").put("type", "ranker");
    ObjectNode ranker = result.putObject("value").putObject("ranker");
    buckets.forEach((bucket, ids) -> ids.forEach(ranker.withArray(bucket)::add));
    return result;
  }

  private List<List<String>> resolve(ObjectNode body, Sample sample) throws BadPayload {
    PreferenceLabel raw =
        LabelStudioWebhook.parse(body, "sample_id", LabelStudioWebhook.Configs.DELIVERED)
            .labels()
            .get(0);
    return LabelResolver.resolve(raw, Fixtures.known(sample), pseudonyms, "annotation.result")
        .getRanking();
  }

  private static final Sample SKY =
      Fixtures.sampleWithTexts(
          "s-pair-1", "p1", "a1", Fixtures.SKY_WRONG, "a2", Fixtures.SKY_RIGHT);

  @Test
  void aPairwiseChoiceFollowsWhatEachSideShowedWhenTheDisplayOrderIsSwapped() throws Exception {
    ObjectNode inOrder =
        Fixtures.JSON
            .createObjectNode()
            .put("sample_id", "s-pair-1")
            .put("text1", Fixtures.SKY_WRONG)
            .put("text2", Fixtures.SKY_RIGHT);
    ObjectNode swapped =
        Fixtures.JSON
            .createObjectNode()
            .put("sample_id", "s-pair-1")
            .put("text1", Fixtures.SKY_RIGHT)
            .put("text2", Fixtures.SKY_WRONG);

    // the annotator chose the right answer (a2) both times: on the right, then on the left
    assertThat(resolve(delivery(PAIRWISE_CONFIG, inOrder, pairwise("right")), SKY))
        .containsExactly(List.of("a2"), List.of("a1"));
    assertThat(resolve(delivery(PAIRWISE_CONFIG, swapped, pairwise("left")), SKY))
        .containsExactly(List.of("a2"), List.of("a1"));
  }

  @Test
  void aTaskThatShowsCompletionIdsIsOrientedByThem() throws Exception {
    ObjectNode ids =
        Fixtures.JSON
            .createObjectNode()
            .put("sample_id", "s-pair-1")
            .put("text1", "a2")
            .put("text2", "a1");
    assertThat(resolve(delivery(PAIRWISE_CONFIG, ids, pairwise("left")), SKY))
        .containsExactly(List.of("a2"), List.of("a1"));
  }

  @Test
  void bucketsAreTiersInTheOrderOfTheConfigurationWhateverTheKeyOrder() throws Exception {
    Sample sample =
        Fixtures.sampleWithTexts("s-b", "p", "a", "alpha text", "b", "beta text", "c", "gamma");
    ObjectNode data = Fixtures.JSON.createObjectNode().put("sample_id", "s-b");
    ArrayNode items = data.putArray("items");
    // the task lists the items shuffled, with ids of its own
    items.addObject().put("id", "x1").put("body", "gamma");
    items.addObject().put("id", "x2").put("body", "alpha text");
    items.addObject().put("id", "x3").put("body", "beta text");
    List<String> order = new ArrayList<>(List.of("ok", "bad", "good"));
    Map<String, List<String>> answer =
        Map.of("good", List.of("x2"), "ok", List.of("x1"), "bad", List.of("x3"));
    for (int permutation = 0; permutation < 6; permutation++) {
      Collections.rotate(order, 1);
      if (permutation == 3) {
        Collections.swap(order, 0, 1);
      }
      Map<String, List<String>> keyed = new LinkedHashMap<>();
      order.forEach(k -> keyed.put(k, answer.get(k)));
      assertThat(resolve(delivery(BUCKET_CONFIG, data, ranker(keyed)), sample))
          .as("keys in the order " + order)
          .containsExactly(List.of("a"), List.of("c"), List.of("b"));
    }
  }

  @Test
  void whatCannotBeOrientedIsRefusedNamingTheField() throws Exception {
    ObjectNode data =
        Fixtures.JSON
            .createObjectNode()
            .put("sample_id", "s-pair-1")
            .put("text1", Fixtures.SKY_WRONG)
            .put("text2", "a text no completion has");
    assertThatThrownBy(() -> resolve(delivery(PAIRWISE_CONFIG, data, pairwise("left")), SKY))
        .isInstanceOfSatisfying(
            BadPayload.class, e -> assertThat(e.field()).isEqualTo("task.data.text2"));
    // no configuration: which side is which cannot be known
    assertThatThrownBy(() -> resolve(delivery(null, data, pairwise("left")), SKY))
        .isInstanceOfSatisfying(
            BadPayload.class, e -> assertThat(e.field()).isEqualTo("project.label_config"));
    // buckets without a configuration: their order cannot be known
    ObjectNode items = Fixtures.JSON.createObjectNode().put("sample_id", "s-pair-1");
    Map<String, List<String>> buckets = new LinkedHashMap<>();
    buckets.put("bad", List.of("a1"));
    buckets.put("good", List.of("a2"));
    assertThatThrownBy(() -> resolve(delivery(null, items, ranker(buckets)), SKY))
        .isInstanceOfSatisfying(
            BadPayload.class, e -> assertThat(e.field()).isEqualTo("project.label_config"));
    // two completions with the same text: either could be the one shown
    Sample twins = Fixtures.sampleWithTexts("s-pair-1", "p1", "a1", "same", "a2", "same");
    ObjectNode same =
        Fixtures.JSON
            .createObjectNode()
            .put("sample_id", "s-pair-1")
            .put("text1", "same")
            .put("text2", "same");
    assertThatThrownBy(() -> resolve(delivery(PAIRWISE_CONFIG, same, pairwise("left")), twins))
        .isInstanceOfSatisfying(
            BadPayload.class,
            e -> {
              assertThat(e.field()).isEqualTo("task.data.text1");
              assertThat(e.getMessage()).contains("same text");
            });
  }

  @Test
  void aConfigurationIsParsedAsXmlThatReadsNoEntities() {
    String hostile =
        "<!DOCTYPE View [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
            + "<View><Text name=\"a\" value=\"&x;\"/></View>";
    assertThatThrownBy(() -> LabelConfig.parse(hostile, "project.label_config"))
        .isInstanceOfSatisfying(
            BadPayload.class, e -> assertThat(e.field()).isEqualTo("project.label_config"));
    assertThatThrownBy(() -> LabelConfig.parse("<View><Text name=", "project.label_config"))
        .isInstanceOf(BadPayload.class);
  }

  /**
   * No label is ever the wrong way round: random samples, display orders, bucket orders, key orders
   * and answers, each pair checked against what the annotator meant.
   */
  @Test
  void noRandomTaskEverGivesAPairTheWrongWayRound() throws Exception {
    Random random = new Random(20261201);
    for (int trial = 0; trial < 500; trial++) {
      int n = 2 + random.nextInt(4);
      List<String> ids = new ArrayList<>();
      List<String> idsAndTexts = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ids.add("c" + trial + "-" + i);
        idsAndTexts.add(ids.get(i));
        idsAndTexts.add("completion " + i + " of trial " + trial);
      }
      Sample sample =
          Fixtures.sampleWithTexts("s" + trial, "p", idsAndTexts.toArray(String[]::new));
      // the annotator's intent: a score per completion (higher is better), ties allowed
      Map<String, Integer> score = new LinkedHashMap<>();
      ids.forEach(id -> score.put(id, random.nextInt(3)));
      List<List<String>> got;
      if (random.nextBoolean()) {
        // pairwise on two of them, shown in a random order, by text or by id
        List<String> two = new ArrayList<>(ids.subList(0, 2));
        Collections.shuffle(two, random);
        if (score.get(two.get(0)).equals(score.get(two.get(1)))) {
          score.put(two.get(0), score.get(two.get(1)) + 1);
        }
        boolean byId = random.nextBoolean();
        ObjectNode data = Fixtures.JSON.createObjectNode().put("sample_id", "s" + trial);
        data.put("text1", byId ? two.get(0) : textOf(sample, two.get(0)));
        data.put("text2", byId ? two.get(1) : textOf(sample, two.get(1)));
        String chosen = score.get(two.get(0)) > score.get(two.get(1)) ? "left" : "right";
        got = resolve(delivery(PAIRWISE_CONFIG, data, pairwise(chosen)), sample);
        assertThat(got).hasSize(2);
      } else {
        // buckets: good (2), ok (1), bad (0); items listed shuffled, keys in a random order
        ObjectNode data = Fixtures.JSON.createObjectNode().put("sample_id", "s" + trial);
        ArrayNode items = data.putArray("items");
        List<String> shown = new ArrayList<>(ids);
        Collections.shuffle(shown, random);
        Map<String, String> itemOf = new LinkedHashMap<>();
        for (int i = 0; i < shown.size(); i++) {
          String itemId = "item-" + i;
          itemOf.put(shown.get(i), itemId);
          items.addObject().put("id", itemId).put("body", textOf(sample, shown.get(i)));
        }
        List<String> bucketNames = new ArrayList<>(List.of("good", "ok", "bad"));
        Collections.shuffle(bucketNames, random);
        Map<String, List<String>> buckets = new LinkedHashMap<>();
        for (String bucket : bucketNames) {
          int level = bucket.equals("good") ? 2 : bucket.equals("ok") ? 1 : 0;
          List<String> in = new ArrayList<>();
          ids.stream().filter(id -> score.get(id) == level).forEach(id -> in.add(itemOf.get(id)));
          buckets.put(bucket, in);
        }
        if (score.values().stream().distinct().count() < 2) {
          continue;
        }
        got = resolve(delivery(BUCKET_CONFIG, data, ranker(buckets)), sample);
      }
      for (int upper = 0; upper < got.size(); upper++) {
        for (int lower = upper + 1; lower < got.size(); lower++) {
          for (String better : got.get(upper)) {
            for (String worse : got.get(lower)) {
              assertThat(score.get(better))
                  .as("trial %d: %s ranked over %s", trial, better, worse)
                  .isGreaterThan(score.get(worse));
            }
          }
        }
      }
    }
  }

  private static String textOf(Sample sample, String id) {
    return sample.getCompletions().stream()
        .filter(c -> c.getCompletionId().equals(id))
        .findFirst()
        .orElseThrow()
        .getText();
  }
}
