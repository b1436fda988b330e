package dev.refinery.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Parquet, the format FineWeb, FineWeb-Edu, RedPajama-v2 and The Stack ship in, read without Hadoop
 * by DuckDB's embedded engine (its JDBC driver carries the engine). Each row becomes a JSON object
 * ({@code to_json} of the row, nested columns as objects) and is mapped to a document as a JSONL
 * line is: the same {@code text}/{@code content}/{@code raw_content} fields, ids, URLs, dates and
 * metadata. Rows are read in file order, streamed, one at a time; a file that is not Parquet is
 * refused as a whole, a row without text is rejected with its reason, and the rest of the file goes
 * on. A run that resumes skips the rows the last one committed.
 */
final class ParquetReader implements DocumentReader {
  private final Connection connection;
  private final Statement statement;
  private final String path;
  private ResultSet rows;
  private final String name;
  private final Rejector rejector;
  private final JsonlFormat format;
  private final long fileSize;
  private final long totalRows;
  private final String columns;
  private long row;
  private long bytes;

  ParquetReader(Path file, String name, IngestConfig config, Rejector rejector) throws IOException {
    this.name = name;
    this.rejector = rejector;
    this.format = new JsonlFormat(config, file.toAbsolutePath().getParent());
    this.fileSize = Files.size(file);
    this.path = "'" + file.toAbsolutePath().toString().replace("'", "''") + "'";
    try {
      Properties p = new Properties();
      p.setProperty("jdbc_stream_results", "true");
      this.connection = DriverManager.getConnection("jdbc:duckdb:", p);
      try {
        this.statement = connection.createStatement();
        statement.execute("SET threads = 1");
        statement.execute("SET preserve_insertion_order = true");
        long n;
        try (ResultSet count =
            statement.executeQuery("SELECT num_rows FROM parquet_file_metadata(" + path + ")")) {
          n = count.next() ? count.getLong(1) : 0;
        }
        this.totalRows = n;
        this.columns = columns();
        this.rows = query(0);
      } catch (SQLException e) {
        connection.close();
        throw e;
      }
    } catch (SQLException e) {
      throw new IOException("not a Parquet file DuckDB can read: " + e.getMessage(), e);
    }
  }

  private ResultSet query(long offset) throws SQLException {
    return statement.executeQuery(
        "SELECT to_json(t)::VARCHAR FROM (SELECT "
            + columns
            + " FROM read_parquet("
            + path
            + ")) t"
            + (offset > 0 ? " OFFSET " + offset : ""));
  }

  /**
   * The columns as the rows are read: binary columns as base64, at the top level and one level into
   * a struct (Hugging Face's image feature is {@code STRUCT(bytes BLOB, path VARCHAR)}), so an
   * image in a row reaches the JSON mapping as the base64 it reads; the rest as they are.
   */
  private String columns() throws SQLException {
    List<String> select = new ArrayList<>();
    try (ResultSet d =
        statement.executeQuery("DESCRIBE SELECT * FROM read_parquet(" + path + ")")) {
      while (d.next()) {
        String name = d.getString("column_name");
        String type = d.getString("column_type");
        String column = quote(name);
        if (type.equals("BLOB")) {
          select.add("base64(" + column + ") AS " + column);
          continue;
        }
        java.util.regex.Matcher struct = STRUCT.matcher(type);
        if (struct.matches() && type.contains(" BLOB")) {
          List<String> fields = new ArrayList<>();
          for (String field : struct.group(1).split(", ")) {
            int space = field.lastIndexOf(' ');
            String fieldName = field.substring(0, space).replace("\"", "");
            String ref = column + "." + quote(fieldName);
            fields.add(
                quote(fieldName)
                    + " := "
                    + (field.endsWith(" BLOB") ? "base64(" + ref + ")" : ref));
          }
          select.add("struct_pack(" + String.join(", ", fields) + ") AS " + column);
          continue;
        }
        select.add(column);
      }
    }
    return select.isEmpty() ? "*" : String.join(", ", select);
  }

  /** A struct of scalar fields: {@code STRUCT("bytes" BLOB, path VARCHAR)}. */
  private static final java.util.regex.Pattern STRUCT =
      java.util.regex.Pattern.compile("STRUCT\\(([^()]*)\\)");

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  /** Starts reading after the first {@code n} rows, without reading them (file order is kept). */
  @Override
  public long skip(long n) throws IOException {
    long to = Math.min(row + n, totalRows);
    try {
      rows.close();
      rows = query(to);
    } catch (SQLException e) {
      throw new IOException("Parquet file unreadable at row " + to + ": " + e.getMessage(), e);
    }
    long skipped = to - row;
    row = to;
    return skipped;
  }

  @Override
  public Parsed next() throws IOException {
    try {
      if (!rows.next()) {
        return null;
      }
      String json = rows.getString(1);
      row++;
      byte[] line = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
      bytes += line.length;
      return format.parse(line, line.length, name + ":row " + row, rejector);
    } catch (SQLException e) {
      throw new IOException("Parquet file unreadable after row " + row + ": " + e.getMessage(), e);
    }
  }

  @Override
  public long bytesRead() {
    return bytes;
  }

  /** Estimated from the rows read: a Parquet file is read by column chunks, not front to back. */
  @Override
  public long fileBytes() {
    return totalRows == 0 ? 0 : Math.min(fileSize, fileSize * row / totalRows);
  }

  @Override
  public String position() {
    return name + ":row " + row;
  }

  @Override
  public byte[] unfinishedRecord() {
    return new byte[0];
  }

  @Override
  public void close() throws IOException {
    try {
      rows.close();
      statement.close();
      connection.close();
    } catch (SQLException e) {
      throw new IOException(e);
    }
  }
}
