package dev.refinery.runtime.streams;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RocksDB stores a task's state directory keeps that its topology no longer gives the task's
 * sub-topology: an earlier build put them there, because it grouped its steps into sub-topologies
 * otherwise or had a store this one has not. Kafka Streams restores a store that moved from its
 * changelog into the directory of its new task, and leaves the old copy where it was, taking as
 * much disk as the store for as long as the instance runs. They are removed before Streams starts.
 */
final class StaleStores {
  private static final Logger LOG = LoggerFactory.getLogger(StaleStores.class);

  /** A task's directory: {@code <sub-topology>_<partition>}. */
  private static final Pattern TASK = Pattern.compile("(\\d+)_(\\d+)");

  private StaleStores() {}

  /** Removes the stale stores of the application these settings name, and logs each. */
  static List<Path> remove(Topology topology, Properties config) {
    String stateDir = config.getProperty(StreamsConfig.STATE_DIR_CONFIG);
    String applicationId = config.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
    if (stateDir == null || applicationId == null) {
      return List.of();
    }
    List<Path> stale = find(topology.describe(), Path.of(stateDir, applicationId));
    for (Path store : stale) {
      LOG.info(
          "removing {}: this build keeps store {} in another sub-topology's tasks, where it is"
              + " restored from its changelog",
          store,
          store.getFileName());
      delete(store);
    }
    return stale;
  }

  /**
   * The directories under {@code <task>/rocksdb/} of the application's directory whose store the
   * topology does not give the task's sub-topology.
   */
  static List<Path> find(TopologyDescription topology, Path applicationDir) {
    Map<Integer, Set<String>> stores = new HashMap<>();
    for (TopologyDescription.Subtopology sub : topology.subtopologies()) {
      Set<String> names = stores.computeIfAbsent(sub.id(), id -> new HashSet<>());
      for (TopologyDescription.Node node : sub.nodes()) {
        if (node instanceof TopologyDescription.Processor processor) {
          names.addAll(processor.stores());
        }
      }
    }
    List<Path> stale = new ArrayList<>();
    if (!Files.isDirectory(applicationDir)) {
      return stale;
    }
    try (Stream<Path> tasks = Files.list(applicationDir)) {
      for (Path task : tasks.sorted().toList()) {
        Matcher m = TASK.matcher(task.getFileName().toString());
        Path rocksdb = task.resolve("rocksdb");
        if (!m.matches() || !Files.isDirectory(rocksdb)) {
          continue;
        }
        Set<String> kept = stores.getOrDefault(Integer.parseInt(m.group(1)), Set.of());
        try (Stream<Path> dirs = Files.list(rocksdb)) {
          dirs.filter(Files::isDirectory)
              .filter(d -> !kept.contains(d.getFileName().toString()))
              .sorted()
              .forEach(stale::add);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the state directory " + applicationDir, e);
    }
    return stale;
  }

  private static void delete(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not remove " + dir + ", a store this build no longer keeps there; remove it", e);
    }
  }
}
