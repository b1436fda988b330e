package dev.refinery.runtime.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a service's {@code GET /health} reports: up (200) or down (503), with details in the JSON
 * body beside {@code "status": "UP"|"DOWN"}.
 */
public record Health(boolean up, Map<String, Object> details) {
  public Health {
    details = new LinkedHashMap<>(details);
  }

  public static Health up(Map<String, Object> details) {
    return new Health(true, details);
  }

  public static Health down(Map<String, Object> details) {
    return new Health(false, details);
  }
}
