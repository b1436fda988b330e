package dev.refinery.launcher;

import dev.refinery.ingest.IngestException;
import dev.refinery.ingest.IngestReport;
import dev.refinery.ingest.Ingestor;
import dev.refinery.ingest.SourceDeclaration;
import dev.refinery.ingest.SourceRegistry;
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
    description = {
      "Ingest JSONL and JSONL.gz files (or folders of them) of one declared source into corpus.raw.v1.",
      "Declare the source in --config (sources.<name>.kind, .licence or .terms, .stream) or here with --kind."
    })
final class IngestCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

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

  @Option(names = "--licence", paramLabel = "SPDX", description = "SPDX licence id of the source.")
  String licence;

  @Option(names = "--licensor", description = "Licensor of a licensed source.")
  String licensor;

  @Option(names = "--terms", description = "Contract or terms of a licensed source.")
  String terms;

  @Option(names = "--stream", description = "Token stream the source feeds (default main).")
  String stream;

  @Parameters(
      arity = "1..*",
      paramLabel = "PATH",
      description = "JSONL, JSONL.gz files, or folders of them.")
  List<Path> paths;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Settings settings = global.load();
    if (kind != null) {
      Map<String, String> declaration = new HashMap<>();
      String prefix = "sources." + source + ".";
      declaration.put(prefix + "kind", kind);
      putIfSet(declaration, prefix + "licence", licence);
      putIfSet(declaration, prefix + "licensor", licensor);
      putIfSet(declaration, prefix + "terms", terms);
      putIfSet(declaration, prefix + "stream", stream);
      settings = settings.with(declaration);
    }
    SourceRegistry registry = settings.sources();
    SourceDeclaration declared = registry.get(source);
    List<Path> files = expand(paths);
    warnIfStreamMissing(settings, declared, spec.commandLine().getErr());
    List<IngestReport> reports;
    try (Ingestor ingestor = Ingestor.create(settings.ingest())) {
      reports = ingestAll(ingestor, files.stream().map(f -> new Input(f, declared)).toList(), out);
    }
    return reports.stream().anyMatch(r -> r.rejectedTotal() > 0) ? Refinery.REJECTED : 0;
  }

  /** A file and the source it is ingested as. */
  record Input(Path file, SourceDeclaration source) {}

  /** Ingests files in order, a line per file as it finishes, then the total. */
  static List<IngestReport> ingestAll(Ingestor ingestor, List<Input> inputs, PrintWriter out) {
    List<IngestReport> reports = new ArrayList<>();
    out.printf(
        "%-28s %-12s %9s %9s %9s %10s %7s%n",
        "file", "source", "records", "documents", "rejected", "MB", "s");
    for (Input input : inputs) {
      IngestReport r = ingestor.ingest(input.file(), input.source());
      reports.add(r);
      out.printf(
          "%-28s %-12s %9d %9d %9d %10.2f %7.2f%n",
          input.file().getFileName(),
          r.source(),
          r.records(),
          r.documents(),
          r.rejectedTotal(),
          r.bytes() / 1e6,
          r.took().toMillis() / 1e3);
      out.flush();
    }
    IngestReport total = IngestReport.sum("total", reports);
    out.printf(
        "%-28s %-12s %9d %9d %9d %10.2f %7.2f%n",
        "total",
        "",
        total.records(),
        total.documents(),
        total.rejectedTotal(),
        total.bytes() / 1e6,
        total.took().toMillis() / 1e3);
    if (total.rejectedTotal() > 0) {
      out.println(
          "rejected at ingest (on corpus.rejected.v1 with reason, file and line): "
              + counts(total.rejected()));
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

  /** The JSONL files named, and those in the folders named, in name order. */
  static List<Path> expand(List<Path> paths) throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path path : paths) {
      if (Files.isDirectory(path)) {
        try (Stream<Path> listing = Files.list(path)) {
          listing.filter(IngestCommand::isJsonl).sorted().forEach(files::add);
        }
      } else {
        files.add(path);
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no .jsonl or .jsonl.gz files in " + paths);
    }
    return files;
  }

  static boolean isJsonl(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return Files.isRegularFile(file)
        && (name.endsWith(".jsonl")
            || name.endsWith(".jsonl.gz")
            || name.endsWith(".json.gz")
            || name.endsWith(".ndjson"));
  }

  /** Documents of a stream without a token topic would all be rejected downstream: say so first. */
  private static void warnIfStreamMissing(
      Settings settings, SourceDeclaration source, PrintWriter err) {
    String topic = Topics.tokens(source.stream()).name();
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                settings.ingest().bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                15_000))) {
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

  private static void putIfSet(Map<String, String> map, String key, String value) {
    if (value != null) {
      map.put(key, value);
    }
  }
}
