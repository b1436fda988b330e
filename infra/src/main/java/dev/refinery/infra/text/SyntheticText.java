package dev.refinery.infra.text;

import java.util.SplittableRandom;

/**
 * English-like text from a small grammar over a few hundred common words, for the demo corpus and
 * the tests: large enough that two texts of different seeds share almost no word 5-grams (so they
 * are not near-duplicates of each other), and shaped like clean prose, so it passes the published
 * quality rules: full sentences with stop words, each paragraph one line ending in a period.
 *
 * <p>The same seed gives the same text on any machine.
 */
public final class SyntheticText {
  private static final String[] ADJECTIVES =
      words(
          "old new small large quiet busy bright dark early late "
              + "warm cold green narrow wide local public private simple careful modern ancient heavy light steady "
              + "sudden gentle rough clear famous hidden empty crowded distant nearby rural urban honest patient curious "
              + "nervous proud calm strange familiar rare common golden silver wooden stone muddy dry wet northern "
              + "southern eastern western annual weekly seasonal generous modest");
  private static final String[] NOUNS =
      words(
          "river village teacher market garden bridge harbour library "
              + "council farmer painter museum station kitchen orchard valley mountain forest school doctor engineer "
              + "journalist baker festival report budget meeting window road tower castle island church factory student "
              + "neighbour family friend letter story song map lantern boat train bicycle storm winter summer morning "
              + "evening season harvest election committee hospital clinic workshop theatre concert exhibition meadow "
              + "cottage street square fountain ferry canal orchestra choir bakery pharmacy playground stadium airport "
              + "vineyard greenhouse quarry lighthouse archive gallery courthouse warehouse railway tunnel reservoir");
  private static final String[] VERBS =
      words(
          "visited opened closed repaired painted measured described "
              + "praised questioned followed carried built moved watched crossed protected studied recorded planned "
              + "celebrated announced replaced cleaned explored discussed supported delayed finished reviewed noticed "
              + "remembered welcomed borrowed returned organised designed tested printed funded restored expanded "
              + "photographed inspected catalogued renovated surveyed mapped");
  private static final String[] ADVERBS =
      words(
          "quickly slowly carefully quietly openly finally suddenly "
              + "gladly rarely often again together proudly gently briefly eagerly patiently warmly firmly loudly");
  private static final String[] PEOPLE =
      words(
          "Anna Bruno Clara Daniel Elena Felix Greta Hugo Iris Jonas "
              + "Karin Leo Maria Nils Olga Paul Rosa Samuel Tessa Victor Wanda Yusuf Zoe Marta Oskar Priya Tomas Ada");
  private static final String[] PLACES =
      words(
          "Harrowgate Lindenfield Eastbrook Saltmere Kingsreach "
              + "Oakhollow Westvale Brightwater Stonebury Ashford Millbrook Fernhill Redcliffe Thornbury Glenmoor "
              + "Larkspur Coldwater Ravensby Elmstead Northwick");

  private final SplittableRandom random;

  public SyntheticText(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /**
   * {@code paragraphs} paragraphs of four to six sentences, one line each, joined by a line break.
   */
  public static String text(long seed, int paragraphs) {
    return new SyntheticText(seed).paragraphs(paragraphs, "\n");
  }

  /** Paragraphs of four to six sentences, joined by {@code separator}. */
  public String paragraphs(int paragraphs, String separator) {
    StringBuilder text = new StringBuilder();
    for (int p = 0; p < paragraphs; p++) {
      text.append(p == 0 ? "" : separator).append(paragraph(4 + random.nextInt(3)));
    }
    return text.toString();
  }

  public String paragraph(int sentences) {
    StringBuilder text = new StringBuilder();
    for (int s = 0; s < sentences; s++) {
      text.append(s == 0 ? "" : " ").append(sentence());
    }
    return text.toString();
  }

  /** One sentence, of one of ten shapes. */
  public String sentence() {
    return switch (random.nextInt(10)) {
      case 0 ->
          "The "
              + adjective()
              + " "
              + noun()
              + " "
              + verb()
              + " the "
              + noun()
              + " of the "
              + adjective()
              + " "
              + noun()
              + ".";
      case 1 ->
          person()
              + " "
              + adverb()
              + " "
              + verb()
              + " a "
              + adjective()
              + " "
              + noun()
              + " with "
              + person()
              + " and the "
              + noun()
              + ".";
      case 2 ->
          "In the "
              + noun()
              + " of "
              + place()
              + ", "
              + person()
              + " "
              + verb()
              + " that the "
              + noun()
              + " had been "
              + verb()
              + " "
              + adverb()
              + ".";
      case 3 ->
          "After the "
              + adjective()
              + " "
              + noun()
              + ", they "
              + verb()
              + " the "
              + noun()
              + " to have a "
              + adjective()
              + " "
              + noun()
              + ".";
      case 4 ->
          "Residents of "
              + place()
              + " "
              + verb()
              + " the "
              + noun()
              + " in "
              + (1850 + random.nextInt(175))
              + ", long before the "
              + noun()
              + " was "
              + verb()
              + ".";
      case 5 ->
          "\u201cWe "
              + verb()
              + " the "
              + noun()
              + " "
              + adverb()
              + ",\u201d said "
              + person()
              + ", who "
              + verb()
              + " the "
              + adjective()
              + " "
              + noun()
              + " every "
              + noun()
              + ".";
      case 6 ->
          "When "
              + person()
              + " "
              + verb()
              + " the "
              + noun()
              + " near "
              + place()
              + ", the "
              + adjective()
              + " "
              + noun()
              + " "
              + verb()
              + " it "
              + adverb()
              + ".";
      case 7 ->
          "Nobody in the "
              + adjective()
              + " "
              + noun()
              + " had "
              + verb()
              + " a "
              + noun()
              + " so "
              + adjective()
              + " since the "
              + noun()
              + ".";
      case 8 ->
          "By the "
              + adjective()
              + " "
              + noun()
              + ", "
              + (2 + random.nextInt(60))
              + " "
              + noun()
              + "s were "
              + verb()
              + " and "
              + verb()
              + " "
              + adverb()
              + ".";
      default ->
          "It was "
              + person()
              + " who first "
              + verb()
              + " the "
              + adjective()
              + " "
              + noun()
              + " at "
              + place()
              + ", with a "
              + noun()
              + " and a "
              + noun()
              + ".";
    };
  }

  public String person() {
    return pick(PEOPLE);
  }

  public String place() {
    return pick(PLACES);
  }

  public String noun() {
    return pick(NOUNS);
  }

  public String adjective() {
    return pick(ADJECTIVES);
  }

  private String verb() {
    return pick(VERBS);
  }

  private String adverb() {
    return pick(ADVERBS);
  }

  private String pick(String[] options) {
    return options[random.nextInt(options.length)];
  }

  private static String[] words(String list) {
    return list.split(" ");
  }
}
