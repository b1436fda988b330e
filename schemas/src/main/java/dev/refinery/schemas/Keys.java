package dev.refinery.schemas;

import java.util.Locale;

/**
 * The record keys that are contracts between stages and with outside readers, written and parsed
 * here only. Numbers are zero-padded to 12 digits so that keys sort in number order.
 *
 * <ul>
 *   <li>a token batch on {@code tokens.<stream>.v1}: {@code <stream>-<batch index>}, e.g. {@code
 *       web-000000000042};
 *   <li>a data checkpoint on {@code trainer.checkpoints.v1}: {@code <run id>/<step>}, e.g. {@code
 *       run-7/000000001000}.
 * </ul>
 */
public final class Keys {
  private Keys() {}

  /** The key (and batch id) of a stream's batch: {@code <stream>-<index, 12 digits>}. */
  public static String batch(String stream, long index) {
    if (index < 0) {
      throw new IllegalArgumentException("a batch index is not negative: " + index);
    }
    return stream + "-" + String.format(Locale.ROOT, "%012d", index);
  }

  /**
   * The batch index of a batch key, or -1 when the key is not one ({@code null}, no dash, no number
   * after the last dash).
   */
  public static long batchIndex(String key) {
    if (key == null) {
      return -1;
    }
    int dash = key.lastIndexOf('-');
    if (dash < 0 || dash == key.length() - 1) {
      return -1;
    }
    for (int i = dash + 1; i < key.length(); i++) {
      if (key.charAt(i) < '0' || key.charAt(i) > '9') {
        return -1;
      }
    }
    try {
      return Long.parseLong(key, dash + 1, key.length(), 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The key of a run's data checkpoint at a step: {@code <run id>/<step, 12 digits>}. */
  public static String checkpoint(String runId, long step) {
    return runId + "/" + String.format(Locale.ROOT, "%012d", step);
  }
}
