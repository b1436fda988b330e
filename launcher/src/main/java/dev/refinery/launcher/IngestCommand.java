package dev.refinery.launcher;

import dev.refinery.ingest.IngestException;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.IngestReport;
import dev.refinery.ingest.Ingestor;
import dev.refinery.ingest.InputFiles;
import dev.refinery.ingest.InputFormat;
import dev.refinery.ingest.SourceDeclaration;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    subcommands = {WatchCommand.class, ServeCommand.class},
    description = {
      "Ingest files of one declared source into corpus.raw.v1: JSONL (.jsonl, .ndjson), plain text",
      "(.txt, .md: one document per file), WARC and WET, each plain, .gz or .zst; folders are read",
      "recursively. Declare the source in --config (sources.<name>.kind, .licence or .terms, .stream)",
      "or here with --kind. A file ingested before is read again only if its SHA-256 changed; an interrupted one resumes where it stopped."
    })
final class IngestCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Mixin SourceOptions sourceOptions;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--format",
      description =
          "Read every file as this format instead of telling it by name: ${COMPLETION-CANDIDATES}.")
  InputFormat format;

  // not required by the parser: `ingest serve` and `ingest watch DIR` take neither; checked in
  // call()
  @Parameters(arity = "0..*", paramLabel = "PATH", description = "Files, or folders of them.")
  List<Path> paths;

  @Override
  public Integer call() throws IOException {
    if (sourceOptions.source == null) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "Missing required option: '--source=NAME'");
    }
    if (paths == null || paths.isEmpty()) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "Missing required parameter: 'PATH' (files, or folders of them)");
    }
    PrintWriter out = spec.commandLine().getOut();
    Settings settings = sourceOptions.declare(global.load());
    SourceDeclaration declared = settings.sources().get(sourceOptions.source);
    List<Ingestor.Input> inputs = new ArrayList<>();
    for (InputFiles.Listed file : InputFiles.expand(paths, format != null)) {
      inputs.add(new Ingestor.Input(file.path(), declared, format, file.label()));
    }
    requireStream(settings, declared);
    List<IngestReport> reports;
    try (Ingestor ingestor =
        Ingestor.create(
            settings.ingest(), "refinery-ingest-" + declared.name(), IngestMetrics.inMemory())) {
      reports = IngestTable.ingestAll(ingestor, inputs, out, spec.commandLine().getErr());
    }
    return IngestTable.exitStatus(reports);
  }

  /**
   * Documents of a stream without a token topic would all be rejected downstream (UNKNOWN_STREAM)
   * while ingest succeeds: refuse before anything is sent.
   *
   * @throws IllegalArgumentException (exit 2) saying how to declare the source's stream
   */
  static void requireStream(Settings settings, SourceDeclaration source) {
    boolean exists;
    java.util.Set<String> streams = new java.util.TreeSet<>();
    String topic = Topics.tokens(source.stream()).name();
    try (Admin admin =
        Admin.create(
            settings
                .kafka()
                .admin(
                    Map.of(
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000)))) {
      java.util.Set<String> names = admin.listTopics().names().get(15, TimeUnit.SECONDS);
      exists = names.contains(topic);
      names.stream().map(Topics::streamOf).filter(java.util.Objects::nonNull).forEach(streams::add);
    } catch (Exception e) {
      throw new IngestException(
          "cannot reach Kafka at "
              + settings.ingest().bootstrapServers()
              + ": is `refinery up` running, or is --bootstrap-servers right? ("
              + e
              + ")",
          e);
    }
    if (!exists) {
      throw new IllegalArgumentException(
          "source "
              + source.name()
              + " feeds stream '"
              + source.stream()
              + "', but "
              + topic
              + " does not exist, so no tokenizer reads it: its documents would all be rejected as"
              + " UNKNOWN_STREAM. Give the source a stream the pipeline packs ("
              + (streams.isEmpty()
                  ? "none is provisioned: run refinery topics with --streams"
                  : "--stream " + String.join(" or --stream ", streams))
              + ", or sources."
              + source.name()
              + ".stream= in the --config the pipeline runs with)");
    }
  }

  /** A source named on the command line, declared in the configuration or by these options. */
  static final class SourceOptions {
    @Option(
        names = "--source",
        paramLabel = "NAME",
        description = "The declared source of the files (required).")
    String source;

    @Option(
        names = "--kind",
        description =
            "Declare the source here: public_web, licensed, code, books, academic, synthetic.")
    String kind;

    @Option(
        names = "--licence",
        paramLabel = "SPDX",
        description = "SPDX licence id of the source.")
    String licence;

    @Option(names = "--licensor", description = "Licensor of a licensed source.")
    String licensor;

    @Option(names = "--terms", description = "Contract or terms of a licensed source.")
    String terms;

    @Option(names = "--stream", description = "Token stream the source feeds (default main).")
    String stream;

    /** The settings with this source declared, if {@code --kind} was given. */
    Settings declare(Settings settings) {
      if (kind == null) {
        return settings;
      }
      Map<String, String> declaration = new HashMap<>();
      String prefix = "sources." + source + ".";
      declaration.put(prefix + "kind", kind.toLowerCase(Locale.ROOT));
      putIfSet(declaration, prefix + "licence", licence);
      putIfSet(declaration, prefix + "licensor", licensor);
      putIfSet(declaration, prefix + "terms", terms);
      putIfSet(declaration, prefix + "stream", stream);
      return settings.with(declaration);
    }

    private static void putIfSet(Map<String, String> map, String key, String value) {
      if (value != null) {
        map.put(key, value);
      }
    }
  }
}
