package dev.refinery.launcher;

import dev.refinery.ingest.FolderWatcher;
import dev.refinery.ingest.IngestException;
import dev.refinery.ingest.IngestMetrics;
import dev.refinery.ingest.IngestReport;
import dev.refinery.ingest.Ingestor;
import dev.refinery.ingest.InputFormat;
import dev.refinery.ingest.SourceDeclaration;
import dev.refinery.schemas.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
      "or here with --kind. A file done before is skipped; an interrupted one resumes where it stopped."
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

  @Parameters(arity = "1..*", paramLabel = "PATH", description = "Files, or folders of them.")
  List<Path> paths;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Settings settings = sourceOptions.declare(global.load());
    SourceDeclaration declared = settings.sources().get(sourceOptions.source);
    List<Ingestor.Input> inputs = new ArrayList<>();
    for (Listed file : expand(paths, format != null)) {
      inputs.add(new Ingestor.Input(file.path(), declared, format, file.label()));
    }
    warnIfStreamMissing(settings, declared, spec.commandLine().getErr());
    List<IngestReport> reports;
    try (Ingestor ingestor =
        Ingestor.create(
            settings.ingest(), "refinery-ingest-" + declared.name(), IngestMetrics.inMemory())) {
      reports = ingestAll(ingestor, inputs, out, spec.commandLine().getErr());
    }
    return reports.stream().anyMatch(r -> r.rejectedTotal() > 0) ? Refinery.REJECTED : 0;
  }

  /** Ingests the inputs in order with a progress line, a line per file, then the total. */
  static List<IngestReport> ingestAll(
      Ingestor ingestor, List<Ingestor.Input> inputs, PrintWriter out, PrintWriter progress) {
    long total = inputs.stream().mapToLong(i -> size(i.file())).sum();
    ProgressBar bar = new ProgressBar(progress, System.console() != null, inputs.size(), total);
    List<IngestReport> reports = new ArrayList<>();
    out.printf(
        "%-32s %-12s %9s %9s %8s %8s %10s %7s%n",
        "file", "source", "records", "documents", "rejected", "skipped", "MB", "s");
    for (int i = 0; i < inputs.size(); i++) {
      Ingestor.Input input = inputs.get(i);
      bar.start(i + 1);
      IngestReport r = ingestor.ingest(input, bar);
      bar.finished(size(input.file()), r);
      reports.add(r);
      String note =
          r.alreadyDone()
              ? "  (done before: skipped)"
              : r.resumedAt() > 0 ? "  (resumed after " + r.resumedAt() + " records)" : "";
      out.printf(
          "%-32s %-12s %9d %9d %8d %8d %10.2f %7.2f%s%n",
          shorten(input.label()),
          r.source(),
          r.records(),
          r.documents(),
          r.rejectedTotal(),
          r.skipped(),
          r.bytes() / 1e6,
          r.took().toMillis() / 1e3,
          note);
      out.flush();
    }
    IngestReport sum = IngestReport.sum("total", reports);
    out.printf(
        "%-32s %-12s %9d %9d %8d %8d %10.2f %7.2f%n",
        "total",
        "",
        sum.records(),
        sum.documents(),
        sum.rejectedTotal(),
        sum.skipped(),
        sum.bytes() / 1e6,
        sum.took().toMillis() / 1e3);
    if (sum.rejectedTotal() > 0) {
      out.println(
          "rejected at ingest (on corpus.rejected.v1 with reason, file and position): "
              + counts(sum.rejected()));
    }
    out.flush();
    return reports;
  }

  static String counts(Map<String, Long> byReason) {
    StringBuilder b = new StringBuilder();
    byReason.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(
            e ->
                b.append(b.length() == 0 ? "" : ", ")
                    .append(e.getKey())
                    .append(' ')
                    .append(e.getValue()));
    return b.toString();
  }

  /** A file to ingest and its label: its path relative to the folder it was found in. */
  record Listed(Path path, String label) {}

  /**
   * The files named, and those under the folders named (recursively, in name order, hidden ones
   * left out). Without {@code anyName}, only files whose name tells their format.
   */
  static List<Listed> expand(List<Path> paths, boolean anyName) throws IOException {
    List<Listed> files = new ArrayList<>();
    for (Path path : paths) {
      if (Files.isDirectory(path)) {
        try (Stream<Path> walk = Files.walk(path)) {
          walk.filter(Files::isRegularFile)
              .filter(f -> !FolderWatcher.ignored(path.relativize(f)))
              .filter(f -> anyName || InputFormat.of(f) != null)
              .sorted()
              .forEach(f -> files.add(new Listed(f, path.relativize(f).toString())));
        }
      } else {
        files.add(new Listed(path, path.getFileName().toString()));
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          "no files to ingest in "
              + paths
              + " (.jsonl, .txt, .warc, .wet, each maybe .gz or .zst; or pass --format)");
    }
    return files;
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }

  private static String shorten(String label) {
    return label.length() <= 32 ? label : "…" + label.substring(label.length() - 31);
  }

  /** Documents of a stream without a token topic would all be rejected downstream: say so first. */
  static void warnIfStreamMissing(Settings settings, SourceDeclaration source, PrintWriter err) {
    String topic = Topics.tokens(source.stream()).name();
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.ingest().bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000))) {
      if (!admin.listTopics().names().get(15, TimeUnit.SECONDS).contains(topic)) {
        err.printf(
            "warning: source %s feeds stream '%s', but %s does not exist: the tokenizer will reject its "
                + "documents as UNKNOWN_STREAM. Declare the source in the --config the pipeline runs with.%n",
            source.name(), source.stream(), topic);
        err.flush();
      }
    } catch (Exception e) {
      throw new IngestException(
          "cannot reach Kafka at "
              + settings.ingest().bootstrapServers()
              + ": is `refinery up` running, or is --bootstrap-servers right? ("
              + e
              + ")",
          e);
    }
  }

  /** A source named on the command line, declared in the configuration or by these options. */
  static final class SourceOptions {
    @Option(
        names = "--source",
        required = true,
        paramLabel = "NAME",
        description = "The declared source of the files.")
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
