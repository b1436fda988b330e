package dev.refinery.launcher;

import java.io.PrintWriter;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code refinery} command. */
@Command(
    name = "refinery",
    mixinStandardHelpOptions = true,
    version = "refinery 0.1.0",
    description = "Kafka-native data and training pipeline for large language models.",
    subcommands = {
      UpCommand.class,
      DemoCommand.class,
      IngestCommand.class,
      DedupFilterCommand.class,
      TokenizerCommand.class,
      BridgeCommand.class,
      FeedbackCommand.class,
      ConsoleCommand.class,
      ScalingCommand.class,
      TopicsCommand.class,
      TakedownCommand.class,
      RejectionsCommand.class,
      AuditCommand.class,
      AclsCommand.class,
      SettingsCommand.class
    },
    footer = {
      "",
      "Exit status: 0 done; 1 done, but input was rejected or a check failed (see the summary);"
          + " 2 usage or configuration error; 3 failure; 4 (ingest) done, but files unchanged"
          + " since they were ingested were not sent again."
    })
public final class Refinery implements Runnable {
  static final int REJECTED = 1;
  static final int USAGE = 2;
  static final int FAILURE = 3;
  static final int SKIPPED = 4;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Refinery());
    // the commands' descriptions are written in lines of up to 100 characters: at picocli's
    // default 80, each wrapped into a long line and a short one
    cli.setUsageHelpWidth(100);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          if (e instanceof ConfigException || e instanceof IllegalArgumentException) {
            err.println("refinery: " + e.getMessage());
            return USAGE;
          }
          // our own exceptions say what went wrong and what to do; others come with their causes
          boolean ours =
              e.getClass().getName().startsWith("dev.refinery.")
                  || e instanceof IllegalStateException;
          err.println(
              "refinery: " + (ours && e.getMessage() != null ? e.getMessage() : e.toString()));
          for (Throwable cause = e.getCause();
              !ours && cause != null && cause != cause.getCause();
              cause = cause.getCause()) {
            err.println("  caused by: " + cause);
          }
          // to the log file only: the terminal has had the message
          LoggerFactory.getLogger("refinery.cli")
              .error("refinery {} failed", String.join(" ", parseResult.originalArgs()), e);
          err.println(
              "The log has the details: "
                  + System.getProperty("refinery.log.file", ".refinery/refinery.log"));
          return FAILURE;
        });
    return cli;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
