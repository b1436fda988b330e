package dev.refinery.launcher;

import dev.refinery.console.ConsoleServer;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(
    name = "console",
    mixinStandardHelpOptions = true,
    description = {
      "Serve the ops dashboard until Ctrl-C: throughput and lag per stage, rejections by rule",
      "with examples, tokens by stream, source and licence, training curves, health, and the",
      "scaling-law forecast."
    })
final class ConsoleCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    ConsoleServer console = Launch.console(global.load(), out);
    return UntilStopped.serve(out, "refinery-console", console::close);
  }
}
