package dev.refinery.launcher;

import dev.refinery.tokenizer.TokenizerConfig;
import dev.refinery.tokenizer.TokenizerJob;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(
    name = "tokenizer",
    mixinStandardHelpOptions = true,
    description = {
      "Run the tokenizer job alone on a local Flink MiniCluster until Ctrl-C.",
      "It resumes from its newest checkpoint in tokenizer.checkpoint.dir."
    })
final class TokenizerCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    TokenizerConfig config = global.load().tokenizer();
    JobClient job = TokenizerJob.onKafka(config).startLocal();
    out.printf(
        "tokenizer (%s, %d-token sequences, %d per batch) on %s, streams %s; Ctrl-C stops%n",
        config.encoding(),
        config.seqLen(),
        config.batchSequences(),
        config.bootstrapServers(),
        config.streams());
    out.flush();
    // cancelling keeps the newest checkpoint, which the next start resumes from
    UntilStopped.await("tokenizer", () -> job.cancel().get(30, TimeUnit.SECONDS));
    return 0;
  }
}
