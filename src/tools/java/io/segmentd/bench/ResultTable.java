package io.segmentd.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The suite's one table: per measure segmentd's figure, the plain driver's, their ratio, node threads. */
public final class ResultTable {

  /**
   * @param ratio segmentd / raw (NaN when there is no raw figure)
   * @param threads the node's thread count during the measure: start → max → end
   */
  public record Row(String scenario, String measure, String segmentd, String raw, double ratio, String threads) {}

  private final List<Row> rows = new ArrayList<>();

  public synchronized void add(String scenario, String measure, double segmentd, double raw, String unit, String threads) {
    rows.add(new Row(scenario, measure, format(segmentd, unit), format(raw, unit), raw == 0 || Double.isNaN(raw) ? Double.NaN : segmentd / raw, threads));
  }

  public synchronized void addText(String scenario, String measure, String segmentd, String raw, String threads) {
    rows.add(new Row(scenario, measure, segmentd, raw, Double.NaN, threads));
  }

  static String format(double value, String unit) {
    if (Double.isNaN(value)) return "-";
    String number = Math.abs(value) >= 100 || value == Math.rint(value) ? String.format(Locale.ROOT, "%,.0f", value)
        : Math.abs(value) >= 10 ? String.format(Locale.ROOT, "%.1f", value) : String.format(Locale.ROOT, "%.2f", value);
    return unit.isEmpty() ? number : number + " " + unit;
  }

  /** A Markdown table, pasted as is into docs/benchmarks.md. */
  public synchronized void print(PrintStream out) {
    out.println("| scenario | measure | segmentd | plain driver (same work, same Cassandra) | ratio segmentd/raw | node threads start → max → end |");
    out.println("|---|---|---|---|---|---|");
    for (Row row : rows) {
      out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", row.scenario(), row.measure(), row.segmentd(), row.raw(),
          Double.isNaN(row.ratio()) ? "-" : String.format(Locale.ROOT, "%.2f", row.ratio()), row.threads());
    }
  }
}
