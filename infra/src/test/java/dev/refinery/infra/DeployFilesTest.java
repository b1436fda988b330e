package dev.refinery.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Prometheus configuration and the Grafana dashboard shipped in deploy/ stay usable. */
class DeployFilesTest {
  private static final List<String> KNOWN =
      List.of(
          "refinery_ingest_",
          "refinery_dedup_",
          "refinery_bridge_",
          "refinery_feedback_",
          "refinery_console_",
          "refinery_streams_",
          "flink_taskmanager_job_task_operator_stream_",
          "kafka_consumer_fetch_manager_");

  @Test
  void prometheusScrapesEveryService() throws Exception {
    String config = Files.readString(Path.of("deploy", "prometheus", "prometheus.yml"));
    for (String port : List.of("8470", "8471", "8472", "8474", "8475", "8476")) {
      assertThat(config).contains("localhost:" + port);
    }
  }

  @Test
  void everyDashboardPanelQueriesMetricsTheServicesExpose() throws Exception {
    JsonNode dashboard =
        new ObjectMapper().readTree(Path.of("deploy", "grafana", "refinery.json").toFile());
    assertThat(dashboard.get("panels")).isNotEmpty();
    Pattern metric = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*[{\\[)]");
    for (JsonNode panel : dashboard.get("panels")) {
      assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
      for (JsonNode target : panel.get("targets")) {
        // label names in "by (...)" are not metrics
        Matcher m = metric.matcher(target.get("expr").asText().replaceAll("by \\([^)]*\\)", ""));
        int found = 0;
        while (m.find()) {
          String name = m.group(1);
          if (List.of("rate", "sum", "max", "by").contains(name)) {
            continue;
          }
          found++;
          assertThat(name.equals("up") || KNOWN.stream().anyMatch(name::startsWith))
              .as("%s in panel %s", name, panel.get("title").asText())
              .isTrue();
        }
        assertThat(found).as(target.get("expr").asText()).isPositive();
      }
    }
  }
}
