package dev.refinery.feedback;

import dev.refinery.runtime.config.RefineryConfig;
import dev.refinery.runtime.config.Replication;
import dev.refinery.runtime.http.ApiTokens;
import dev.refinery.runtime.http.HttpSettings;
import dev.refinery.runtime.streams.RocksDbBudget;
import dev.refinery.runtime.streams.StreamsRunner;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Settings of the feedback service ({@code feedback.*}, plus {@code bootstrap.servers}).
 *
 * <p>Besides the settings defined here, {@code feedback.token.<name>=<scope>[,<scope>...]:<secret>}
 * declares an API token, {@code feedback.rubric.<id>@<version>.<class>=<reward>} a row of the RBRM
 * rubric table, and {@code feedback.labelstudio.config.<project>=<file>} the labeling configuration
 * of a Label Studio project.
 */
public final class FeedbackConfig extends RefineryConfig {
  public static final String HTTP_PORT = "feedback.http.port";
  public static final String HTTP_MAX_BODY_BYTES = "feedback.http.max.body.bytes";
  public static final String PSEUDONYM_KEY = "feedback.pseudonym.key";
  public static final String ARGILLA_SECRET = "feedback.argilla.secret";
  public static final String ARGILLA_TOLERANCE_S = "feedback.argilla.tolerance.seconds";
  public static final String ARGILLA_PREFERENCE_QUESTIONS = "feedback.argilla.preference.questions";
  public static final String SAMPLE_FIELD = "feedback.sample.field";
  public static final String SAMPLE_CHECK = "feedback.sample.check";
  public static final String TRANSACTIONAL_ID = "feedback.transactional.id";
  public static final String APPLICATION_ID = "feedback.application.id";
  public static final String STATE_DIR = "feedback.state.dir";
  public static final String COMMIT_INTERVAL_MS = "feedback.commit.interval.ms";
  public static final String ROCKSDB_MEMORY_BYTES = "feedback." + RocksDbBudget.SETTING;
  public static final String TOKEN_PREFIX = "feedback.token.";
  public static final String RUBRIC_PREFIX = "feedback.rubric.";
  public static final String LABEL_STUDIO_URL = "feedback.labelstudio.url";
  public static final String LABEL_STUDIO_API_TOKEN = "feedback.labelstudio.api.token";
  public static final String LABEL_STUDIO_CONFIG_PREFIX = "feedback.labelstudio.config.";
  public static final String RECONCILE_PROJECTS = "feedback.labelstudio.reconcile.projects";
  public static final String RECONCILE_INTERVAL_MS = "feedback.labelstudio.reconcile.interval.ms";

  public static final ConfigDef DEFINITION =
      RocksDbBudget.define(
          StreamsRunner.defineStallTimeout(
              Replication.define(
                  HttpSettings.define(
                      withBootstrapServers(new ConfigDef())
                          .define(
                              PSEUDONYM_KEY,
                              Type.PASSWORD,
                              "",
                              Importance.HIGH,
                              "Secret key of the labeler pseudonyms (HMAC-SHA256 of tool and user id). Keep it"
                                  + " stable: a new key gives every labeler a new pseudonym.")
                          .define(
                              ARGILLA_SECRET,
                              Type.PASSWORD,
                              "",
                              Importance.MEDIUM,
                              "The Argilla webhook's secret (whsec_...); empty refuses Argilla webhooks.")
                          .define(
                              ARGILLA_TOLERANCE_S,
                              Type.INT,
                              300,
                              ConfigDef.Range.between(1, 86400),
                              Importance.LOW,
                              "How far an Argilla webhook's timestamp may be from now (replay protection).")
                          .define(
                              ARGILLA_PREFERENCE_QUESTIONS,
                              Type.LIST,
                              "preference,preferred,chosen,better",
                              Importance.MEDIUM,
                              "Names of Argilla label questions that carry a pairwise preference (any name;"
                                  + " a label question two of whose options name record fields is one too).")
                          .define(
                              RatingPairs.PAIRS,
                              Type.BOOLEAN,
                              true,
                              Importance.MEDIUM,
                              "Whether labels of per-completion ratings only (UltraFeedback style) become"
                                  + " pairs; per project: feedback.ratings.project.<project>=off|<gap>.")
                          .define(
                              RatingPairs.MIN_GAP,
                              Type.DOUBLE,
                              1.0,
                              ConfigDef.Range.atLeast(0),
                              Importance.MEDIUM,
                              "The smallest difference of two ratings that makes a pair (its margin is the"
                                  + " difference).")
                          .define(
                              LABEL_STUDIO_URL,
                              Type.STRING,
                              "",
                              new ConfigDef.Validator() {
                                @Override
                                public void ensureValid(String name, Object value) {
                                  String url = String.valueOf(value);
                                  if (!url.isEmpty() && !url.matches("https?://[^/\\s]+(/\\S*)?")) {
                                    throw new ConfigException(
                                        name, value, "must be Label Studio's http(s):// address");
                                  }
                                }

                                @Override
                                public String toString() {
                                  return "empty or an http(s):// address";
                                }
                              },
                              Importance.MEDIUM,
                              "Label Studio's address (https://labelstudio.example.org). With"
                                  + " feedback.labelstudio.api.token, the gateway fetches a project's"
                                  + " labeling configuration from its API when a delivery does not carry it.")
                          .define(
                              LABEL_STUDIO_API_TOKEN,
                              Type.PASSWORD,
                              "",
                              Importance.MEDIUM,
                              "A Label Studio access token (sent as 'Authorization: Token ...') that may read"
                                  + " the projects whose labels come here.")
                          .define(
                              RECONCILE_PROJECTS,
                              Type.LIST,
                              "",
                              Importance.MEDIUM,
                              "Label Studio projects whose annotations the service reconciles with"
                                  + " feedback.preferences.v1 at startup and every"
                                  + " feedback.labelstudio.reconcile.interval.ms: what the webhooks"
                                  + " missed is taken, labels deleted in the tool are retracted."
                                  + " Needs feedback.labelstudio.url and feedback.labelstudio.api.token.")
                          .define(
                              RECONCILE_INTERVAL_MS,
                              Type.LONG,
                              600_000L,
                              ConfigDef.Range.atLeast(10_000),
                              Importance.LOW,
                              "How often the projects are reconciled.")
                          .define(
                              SAMPLE_FIELD,
                              Type.STRING,
                              "sample_id",
                              new ConfigDef.NonEmptyString(),
                              Importance.MEDIUM,
                              "Field of a Label Studio task's data, or an Argilla record's metadata, that holds"
                                  + " the sample id (an Argilla record's external_id is used when it is absent).")
                          .define(
                              SAMPLE_CHECK,
                              Type.BOOLEAN,
                              true,
                              Importance.MEDIUM,
                              "Refuse labels of samples the gateway has not read from feedback.samples.v1, and"
                                  + " completion ids a sample does not have.")
                          .define(
                              TRANSACTIONAL_ID,
                              Type.STRING,
                              "refinery-feedback-gateway",
                              new ConfigDef.NonEmptyString(),
                              Importance.LOW,
                              "Transactional id of the gateway's producer (one per gateway instance).")
                          .define(
                              APPLICATION_ID,
                              Type.STRING,
                              "refinery-feedback",
                              new ConfigDef.NonEmptyString(),
                              Importance.MEDIUM,
                              "Kafka Streams application id of the joiner.")
                          .define(
                              STATE_DIR,
                              Type.STRING,
                              ".refinery/state/feedback",
                              new ConfigDef.NonEmptyString(),
                              Importance.MEDIUM,
                              "RocksDB state of the joiner.")
                          .define(
                              COMMIT_INTERVAL_MS,
                              Type.LONG,
                              200L,
                              ConfigDef.Range.atLeast(10),
                              Importance.LOW,
                              "How often the joiner commits its transaction: the latency of a pair."),
                      "feedback.",
                      "labeling gateway (and its /metrics and /health)",
                      8475,
                      false,
                      4L * 1024 * 1024)),
              "feedback."),
          "feedback.");

  /** The scopes of the gateway's tokens, one per write endpoint. */
  public static final Set<String> SCOPES = Set.of("samples", "labels", "rbrm", "label-studio");

  private final ApiTokens tokens;
  private final RubricTable rubrics;
  private final Map<String, Path> labelConfigFiles = new TreeMap<>();
  private RatingPairs ratingPairs;

  public FeedbackConfig(Map<String, ?> values) {
    super(
        DEFINITION,
        values,
        "feedback.",
        Set.of(
            TOKEN_PREFIX, RUBRIC_PREFIX, LABEL_STUDIO_CONFIG_PREFIX, RatingPairs.PROJECT_PREFIX));
    this.ratingPairs =
        RatingPairs.parse(getBoolean(RatingPairs.PAIRS), getDouble(RatingPairs.MIN_GAP), values);
    values.forEach(
        (key, value) -> {
          if (key.startsWith(LABEL_STUDIO_CONFIG_PREFIX)) {
            String project = key.substring(LABEL_STUDIO_CONFIG_PREFIX.length());
            if (!project.matches("\\d+")) {
              throw new ConfigException(
                  key,
                  value,
                  "name a Label Studio project by its number: "
                      + LABEL_STUDIO_CONFIG_PREFIX
                      + "<id>");
            }
            labelConfigFiles.put(project, Path.of(String.valueOf(value)));
          }
        });
    Map<String, String> rubricRows = new TreeMap<>();
    values.forEach(
        (key, value) -> {
          if (key.startsWith(RUBRIC_PREFIX)) {
            rubricRows.put(key.substring(RUBRIC_PREFIX.length()), String.valueOf(value));
          }
        });
    this.tokens = ApiTokens.parse(values, TOKEN_PREFIX, SCOPES);
    this.rubrics =
        rubricRows.isEmpty() ? RubricTable.DEFAULT : RubricTable.parse(rubricRows, RUBRIC_PREFIX);
  }

  public int httpPort() {
    return getInt(HTTP_PORT);
  }

  /** Where and how the HTTP service listens. */
  public HttpSettings http() {
    return HttpSettings.from(this, "feedback.");
  }

  public long httpMaxBodyBytes() {
    return getLong(HTTP_MAX_BODY_BYTES);
  }

  /**
   * The pseudonym key.
   *
   * @throws ConfigException if it is not set
   */
  public byte[] pseudonymKey() {
    String key = getPassword(PSEUDONYM_KEY).value();
    if (key.length() < 16) {
      throw new ConfigException(
          PSEUDONYM_KEY,
          "(hidden)",
          "must be a secret of at least 16 characters (refinery up writes one to"
              + " .refinery/feedback.key); labeler ids are never written without it");
    }
    return key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  public Password argillaSecret() {
    return getPassword(ARGILLA_SECRET);
  }

  /** Argilla label questions that carry a pairwise preference, lower-cased. */
  public Set<String> argillaPreferenceQuestions() {
    Set<String> names = new java.util.HashSet<>();
    getList(ARGILLA_PREFERENCE_QUESTIONS)
        .forEach(n -> names.add(n.toLowerCase(java.util.Locale.ROOT)));
    return Set.copyOf(names);
  }

  public int argillaToleranceSeconds() {
    return getInt(ARGILLA_TOLERANCE_S);
  }

  public String sampleField() {
    return getString(SAMPLE_FIELD);
  }

  public boolean sampleCheck() {
    return getBoolean(SAMPLE_CHECK);
  }

  public String transactionalId() {
    return getString(TRANSACTIONAL_ID);
  }

  public String applicationId() {
    return getString(APPLICATION_ID);
  }

  public Path stateDir() {
    return Path.of(getString(STATE_DIR));
  }

  /** The joiner's RocksDB memory budget for the process's stores; 0 for none. */
  public long rocksDbMemoryBytes() {
    return getLong(ROCKSDB_MEMORY_BYTES);
  }

  /** How long the stage may have input waiting and process nothing before its health is DOWN. */
  public java.time.Duration stallTimeout() {
    return java.time.Duration.ofMillis(getLong("feedback." + StreamsRunner.STALL_TIMEOUT_MS));
  }

  public long commitIntervalMs() {
    return getLong(COMMIT_INTERVAL_MS);
  }

  /** Whether and from what gap ratings make pairs. */
  RatingPairs ratingPairs() {
    return ratingPairs;
  }

  /**
   * The Label Studio projects to reconcile periodically.
   *
   * @throws ConfigException if some are named without Label Studio's address and token
   */
  public java.util.List<String> reconcileProjects() {
    java.util.List<String> projects = getList(RECONCILE_PROJECTS);
    if (!projects.isEmpty()
        && (labelStudioUrl().isBlank() || labelStudioApiToken().value().isBlank())) {
      throw new ConfigException(
          RECONCILE_PROJECTS,
          projects,
          "reconciling needs " + LABEL_STUDIO_URL + " and " + LABEL_STUDIO_API_TOKEN);
    }
    for (String p : projects) {
      if (!p.matches("\\d+")) {
        throw new ConfigException(RECONCILE_PROJECTS, p, "a Label Studio project is a number");
      }
    }
    return projects;
  }

  public long reconcileIntervalMs() {
    return getLong(RECONCILE_INTERVAL_MS);
  }

  /** Label Studio's address, or empty. */
  public String labelStudioUrl() {
    return getString(LABEL_STUDIO_URL);
  }

  /** The Label Studio access token, or empty. */
  public Password labelStudioApiToken() {
    return getPassword(LABEL_STUDIO_API_TOKEN);
  }

  /** Labeling configurations given as files, by Label Studio project id. */
  public Map<String, Path> labelConfigFiles() {
    return Map.copyOf(labelConfigFiles);
  }

  /** The declared API tokens. */
  public ApiTokens tokens() {
    return tokens;
  }

  public RubricTable rubrics() {
    return rubrics;
  }
}
