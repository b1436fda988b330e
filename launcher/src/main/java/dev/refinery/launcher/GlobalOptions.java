package dev.refinery.launcher;

import dev.refinery.runtime.config.RefineryConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every command takes. */
final class GlobalOptions {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Properties file with settings of any module and source declarations (sources.<name>.*).")
  Path config;

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT[,...]",
      description = "Use this Kafka cluster instead of the embedded broker.")
  String bootstrapServers;

  @Option(
      names = "--work-dir",
      paramLabel = "DIR",
      defaultValue = ".refinery",
      description =
          "Folder for broker data, Streams state, Flink checkpoints and logs (default: ${DEFAULT-VALUE}).")
  Path workDir;

  @Option(
      names = {"-D", "--set"},
      paramLabel = "KEY=VALUE",
      description = "Any setting, e.g. -D dedup.hold.ms=2000 or -D tokenizer.seq.len=4096.")
  Map<String, String> settings = new LinkedHashMap<>();

  /** True when no cluster was given: commands that need a broker start one. */
  boolean embedded() {
    return bootstrapServers == null;
  }

  Settings load() {
    Map<String, String> overrides = new HashMap<>(settings);
    if (bootstrapServers != null) {
      overrides.put(RefineryConfig.BOOTSTRAP_SERVERS, bootstrapServers);
    }
    if (config != null && !config.toFile().isFile()) {
      throw new IllegalArgumentException("configuration file " + config + " does not exist");
    }
    return new Settings(workDir, config, System.getenv(), overrides);
  }
}
