package io.segmentd.bench;

import io.segmentd.load.Batch;
import io.segmentd.load.BatchSender;
import io.segmentd.load.HttpBatchSender;
import io.segmentd.load.LoadResult;
import io.segmentd.load.LoadRun;
import io.segmentd.load.ThreadCount;
import io.segmentd.load.TrafficModel;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/** What every scenario shares: options, the one HTTP client and callback pool, the result table. */
public final class BenchContext {
  public final boolean quick;
  public final String cassandra;
  public final Path jar;
  public final String runId;
  public final ExecutorService callbacks;
  public final HttpClient http;
  public final PrintStream out;
  public final PrintStream detail;
  public final ResultTable table = new ResultTable();
  public final Path workDir;
  public final int basePort;
  public final Path chart;
  /** Set by the ingest scenario; later scenarios load at half of it. */
  public double ingestMax = Double.NaN;
  public LoadResult ingestClosed;
  public LoadResult ingestOpen;
  public LoadResult rawClosed;

  BenchContext(boolean quick, String cassandra, Path jar, String runId, ExecutorService callbacks, PrintStream out, Path workDir,
      int basePort, Path chart) throws IOException {
    this.quick = quick;
    this.cassandra = cassandra;
    this.jar = jar;
    this.runId = runId;
    this.callbacks = callbacks;
    this.http = HttpBatchSender.client(callbacks);
    this.out = out;
    this.workDir = Files.createDirectories(workDir);
    // the per-second lines go to a file: the console shows phases and results only
    this.detail = new PrintStream(Files.newOutputStream(workDir.resolve("per-second.log")), true);
    this.basePort = basePort;
    this.chart = chart;
  }

  /** A node on a keyspace of its own for this scenario and run. */
  public NodeProcess node(String scenario) {
    return new NodeProcess(new NodeProcess.Settings(jar, cassandra, keyspace(scenario), basePort, basePort + 478, basePort + 1471,
        "2g", workDir.resolve("nodes")), http);
  }

  public String keyspace(String scenario) {
    return ("bench_" + runId + "_" + scenario).toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
  }

  public RawJournal raw(String scenario) {
    return new RawJournal(cassandra, keyspace("raw_" + scenario));
  }

  public BatchSender api(NodeProcess node) {
    return new HttpBatchSender(http, node.url(), "dev-write-key", Duration.ofSeconds(30), callbacks);
  }

  public TrafficModel traffic(String prefix, int customers, double newCustomerRate) {
    return new TrafficModel(new TrafficModel.Settings(runId + "-" + prefix, customers, 1.1, newCustomerRate, 0.02,
        Duration.ofHours(72), 0.01, 0.05, 0.1), prefix.hashCode());
  }

  public LoadResult load(LoadRun.Plan plan, BatchSender sender, Supplier<Batch> batches, ThreadCount threads) throws InterruptedException {
    out.printf("  %s ...%n", plan.label());
    LoadResult result = new LoadRun(plan, sender, batches, callbacks, threads, detail).run();
    out.println("  " + result.summary());
    detail.println(result.summary());
    return result;
  }

  public Duration warmUp() {
    return Duration.ofSeconds(quick ? 20 : 30); // a cold JVM takes tens of seconds of JIT here
  }

  public Duration measured() {
    return Duration.ofSeconds(quick ? 20 : 60);
  }
}
