package dev.refinery.scaling;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Completed runs for a scaling fit, from a CSV with a header. Columns are found by name, case and
 * spacing ignored: compute ({@code compute}, {@code flops}, {@code training flop}, {@code c}),
 * parameters ({@code params}, {@code parameters}, {@code model size}, {@code n}), tokens ({@code
 * tokens}, {@code d}), loss ({@code loss}, {@code final loss}, {@code l}) and an optional {@code
 * run} name. A run needs its loss and its compute, or parameters and tokens (compute is then 6·N·D;
 * tokens, where missing, C/(6·N)).
 */
public final class ScalingPoints {
  /** One completed run. NaN where a value is not known. */
  public record Point(String run, double compute, double params, double tokens, double loss) {}

  private ScalingPoints() {}

  public static List<Point> read(Path csv) {
    try (BufferedReader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
      return read(in, csv.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + csv, e);
    }
  }

  public static List<Point> parse(String csv) {
    try {
      return read(new BufferedReader(new StringReader(csv)), "the CSV");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Point> read(Reader reader, String name) throws IOException {
    BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
    String header = in.readLine();
    if (header == null) {
      throw new IllegalArgumentException(name + " is empty; it needs a header line");
    }
    List<String> columns = Arrays.stream(header.split(",")).map(ScalingPoints::key).toList();
    int compute = find(columns, "compute", "flops", "trainingflop", "trainingflops", "c");
    int params = find(columns, "params", "parameters", "modelsize", "n");
    int tokens = find(columns, "tokens", "d");
    int loss = find(columns, "loss", "finalloss", "l");
    int run = find(columns, "run", "name");
    if (loss < 0) {
      throw new IllegalArgumentException(name + " has no loss column (header: " + header + ")");
    }
    if (compute < 0 && (params < 0 || tokens < 0)) {
      throw new IllegalArgumentException(
          name + " needs a compute column, or params and tokens columns (header: " + header + ")");
    }
    List<Point> points = new ArrayList<>();
    String line;
    int number = 1;
    while ((line = in.readLine()) != null) {
      number++;
      if (line.isBlank()) {
        continue;
      }
      String[] cells = line.split(",", -1);
      try {
        double l = number(cells, loss);
        double n = number(cells, params);
        double d = number(cells, tokens);
        double c = number(cells, compute);
        if (Double.isNaN(c)) {
          c = 6 * n * d;
        }
        if (Double.isNaN(d) && !Double.isNaN(n)) {
          d = c / (6 * n);
        }
        if (!(l > 0) || !(c > 0)) {
          throw new IllegalArgumentException("loss and compute must be positive numbers");
        }
        points.add(
            new Point(
                run >= 0 && run < cells.length ? cells[run].trim() : "run " + (number - 1),
                c,
                n,
                d,
                l));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(name + " line " + number + ": " + e.getMessage(), e);
      }
    }
    return points;
  }

  /** The runs with a lower loss than every run of less compute, by compute. */
  public static List<Point> frontier(List<Point> runs) {
    List<Point> sorted = new ArrayList<>(runs);
    sorted.sort(java.util.Comparator.comparingDouble(Point::compute));
    List<Point> frontier = new ArrayList<>();
    for (Point p : sorted) {
      if (frontier.isEmpty() || p.loss() < frontier.get(frontier.size() - 1).loss()) {
        frontier.add(p);
      }
    }
    return frontier;
  }

  private static double number(String[] cells, int column) {
    if (column < 0 || column >= cells.length || cells[column].isBlank()) {
      return Double.NaN;
    }
    try {
      return Double.parseDouble(cells[column].trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + cells[column].trim() + "' is not a number");
    }
  }

  private static String key(String column) {
    return column.trim().toLowerCase(Locale.ROOT).replaceAll("[^a-z]", "");
  }

  private static int find(List<String> columns, String... names) {
    for (String n : names) {
      int i = columns.indexOf(n);
      if (i >= 0) {
        return i;
      }
    }
    return -1;
  }
}
