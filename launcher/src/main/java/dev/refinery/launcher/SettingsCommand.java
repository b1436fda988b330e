package dev.refinery.launcher;

import dev.refinery.runtime.config.RefineryConfig;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigDef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(
    name = "settings",
    mixinStandardHelpOptions = true,
    description =
        "List every setting of every module: its value here, its default, what it does, and its"
            + " environment variable.")
final class SettingsCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  private record Module(String name, RefineryConfig config) {}

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Settings settings = global.load();
    List<Module> modules =
        List.of(
            new Module("broker (embedded, for up and demo)", settings.broker()),
            new Module("ingest", settings.ingest()),
            new Module("dedup-filter", settings.dedup()),
            new Module("tokenizer", settings.tokenizer()),
            new Module("trainer-bridge", settings.bridge()),
            new Module("feedback", settings.feedback()),
            new Module("console", settings.console()));
    for (Module module : modules) {
      out.printf("%n%s%n", module.name());
      for (ConfigDef.ConfigKey key : module.config().definition().configKeys().values()) {
        String value = format(module.config().values().get(key.name));
        String fallback = key.hasDefault() ? format(key.defaultValue) : null;
        out.printf(
            "  %-36s = %s%s%n",
            key.name,
            value,
            fallback == null || fallback.equals(value) ? "" : "   (default " + fallback + ")");
        out.printf(
            "  %-36s   %s  [%s]%n",
            "", key.documentation, RefineryConfig.environmentName(key.name));
      }
    }
    return 0;
  }

  private static String format(Object value) {
    return value instanceof List<?> list
        ? String.join(",", list.stream().map(String::valueOf).toList())
        : String.valueOf(value);
  }
}
