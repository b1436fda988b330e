package dev.refinery.tokenizer;

import java.io.File;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.client.program.PackagedProgramUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * What {@code flink run JAR --config FILE} does, in a JVM that has only Flink on its class path:
 * builds the job graph from the jar's main class and runs it on a Flink cluster (a MiniCluster
 * here) until the process is killed. Uses nothing of Refinery's but through the jar.
 */
public final class JobJarRunner {
  private JobJarRunner() {}

  public static void main(String[] args) throws Exception {
    Configuration configuration = new Configuration();
    PackagedProgram program =
        PackagedProgram.newBuilder()
            .setJarFile(new File(args[0]))
            .setArguments("--config", args[1])
            .setConfiguration(configuration)
            .build();
    JobGraph graph = PackagedProgramUtils.createJobGraph(program, configuration, 1, false);
    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(configuration)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(2)
                .build());
    cluster.start();
    cluster.submitJob(graph).get();
    System.out.println("submitted " + graph.getName() + " " + graph.getJobID());
    Thread.sleep(Long.MAX_VALUE);
  }
}
