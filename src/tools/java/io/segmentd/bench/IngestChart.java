package io.segmentd.bench;

import io.segmentd.load.LoadResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * The ingest scenario over time as a PNG (XChart, headless): acknowledged events/s per second on
 * top, p50 and p99 per request per second below, the node's thread count at the bottom;
 * segmentd beside the plain driver, the closed
 * loop (max) and then the open loop (half of max) on one time axis.
 */
final class IngestChart {
  private IngestChart() {}

  static void write(Path png, LoadResult max, LoadResult open, LoadResult rawMax, LoadResult rawOpen) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart throughput = new XYChartBuilder().width(1000).height(380).title("ingest: acknowledged events/s per second")
        .xAxisTitle("s (closed loop at max, then open loop at half of max)").yAxisTitle("events/s").build();
    XYChart latency = new XYChartBuilder().width(1000).height(380).title("latency per request (each second)")
        .xAxisTitle("s").yAxisTitle("ms").build();
    XYChart threads = new XYChartBuilder().width(1000).height(380).title("segmentd node: live threads (/proc/<pid>/status)")
        .xAxisTitle("s").yAxisTitle("threads").build();
    for (XYChart chart : List.of(throughput, latency, threads)) {
      chart.getStyler().setMarkerSize(0);
      chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
    }
    // log scales: segmentd and the plain driver differ by more than an order of magnitude today
    latency.getStyler().setYAxisLogarithmic(true);
    throughput.getStyler().setYAxisLogarithmic(true);
    add(throughput, "segmentd", concat(max, open), s -> (double) s.events());
    add(throughput, "plain driver", concat(rawMax, rawOpen), s -> (double) s.events());
    add(latency, "segmentd p50", concat(max, open), LoadResult.Second::p50Ms);
    add(latency, "segmentd p99", concat(max, open), LoadResult.Second::p99Ms);
    add(latency, "plain driver p99", concat(rawMax, rawOpen), LoadResult.Second::p99Ms);
    add(threads, "node threads", concat(max, open), s -> s.threads() < 0 ? Double.NaN : s.threads());
    Files.createDirectories(png.toAbsolutePath().getParent());
    List<Chart> charts = List.of(throughput, latency, threads);
    BitmapEncoder.saveBitmap(charts, 3, 1, png.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
  }

  private static List<LoadResult.Second> concat(LoadResult first, LoadResult second) {
    List<LoadResult.Second> all = new ArrayList<>(first.series());
    int offset = first.series().size();
    for (LoadResult.Second s : second.series()) {
      all.add(new LoadResult.Second(s.second() + offset, s.events(), s.p50Ms(), s.p99Ms(), s.p999Ms(), s.maxMs(), s.threads()));
    }
    return all;
  }

  private static void add(XYChart chart, String name, List<LoadResult.Second> series, java.util.function.ToDoubleFunction<LoadResult.Second> y) {
    List<Double> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    for (LoadResult.Second s : series) {
      double value = y.applyAsDouble(s);
      if (Double.isNaN(value) || (chart.getStyler().isYAxisLogarithmic() && value <= 0)) continue;
      xs.add((double) s.second());
      ys.add(value);
    }
    if (xs.isEmpty()) return;
    XYSeries line = chart.addSeries(name, xs, ys);
    line.setMarker(SeriesMarkers.NONE);
  }
}
